"""Demo early-warning content for Newham and Hackney: approved rules, flag runs, assigned worklists, contacts,
needs, notes and an objection to profiling — all about SYNTHETIC residents.

``seed_demo_rules(db)`` is idempotent. It needs the council's residents: when the linkage demo has not
loaded any, it writes a small SYNTHETIC borough (``boroughs support synth``), linked by its ground truth.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boroughs.core.models import Organisation, User
from boroughs.support.outreach import service as outreach
from boroughs.support.outreach.models import OutreachCase
from boroughs.support.rules import service as rules_service
from boroughs.support.rules.language import default_rules_text

DEMO_COUNCILS = (("newham", "E09000025", 11), ("hackney", "E09000012", 12))
DEMO_RESIDENTS = 2500


def _user(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == email))


def _ensure_residents(db: Session, org: Organisation, seed: int, residents: int) -> int:
    from boroughs.support.records.models import Resident
    from boroughs.support.rules.data import load_synth_into_db
    from boroughs.support.synth.population import synthesise

    have = db.scalar(select(func.count()).select_from(Resident).where(Resident.organisation_id == org.id)) or 0
    if have:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        synthesise(residents, seed, Path(tmp), borough=org.ons_code or "E09000025")
        return load_synth_into_db(db, org.id, Path(tmp))


def seed_demo_rules(db: Session, *, residents: int = DEMO_RESIDENTS) -> dict[str, int]:
    from boroughs.support.rules.data import frames_from_db

    done = {"residents": 0, "rule_sets": 0, "runs": 0, "cases": 0}
    for slug, _code, seed in DEMO_COUNCILS:
        org = db.scalar(select(Organisation).where(Organisation.slug == slug))
        if org is None:
            continue
        done["residents"] += _ensure_residents(db, org, seed, residents)
        officer = _user(db, f"officer@{slug}.demo.boroughs.test")
        manager = _user(db, f"manager@{slug}.demo.boroughs.test")
        if rules_service.live_version(db, org.id) is None:
            frames = frames_from_db(db, org.id)
            text = default_rules_text(slug)
            v = rules_service.create_draft(db, org.id, officer, body=text,
                                           note="First version, from the shipped starting rules (SYNTHETIC demo)")
            rules_service.submit(db, v, officer, frames)
            rules_service.approve(db, v, manager, "Agreed at the demo's early-help board.", frames)
            done["rule_sets"] += 1
        if rules_service.latest_run(db, org.id) is None:
            frames = frames_from_db(db, org.id)
            earlier = frames.as_of - dt.timedelta(days=91)
            first = rules_service.run_flags(db, org.id, manager, frames=frames, as_of=earlier)
            rules_service.run_flags(db, org.id, manager, frames=frames)
            done["runs"] += 2
            _work_cases(db, org, officer, manager, first.id)
        done["cases"] += db.scalar(select(func.count()).select_from(OutreachCase)
                                   .where(OutreachCase.organisation_id == org.id)) or 0
    return done


def _work_cases(db: Session, org: Organisation, officer: User | None, manager: User | None, run_id: int) -> None:
    """Assign the first cases and record some outreach, so the worklist, fairness and evaluation have content."""
    if officer is None or manager is None:
        return
    cases = list(db.scalars(select(OutreachCase).where(OutreachCase.organisation_id == org.id)
                            .order_by(OutreachCase.priority.desc(), OutreachCase.id)))
    first_run = [c for c in cases if c.flag_run_id == run_id]
    mine = first_run[: max(1, len(first_run) * 2 // 3)]
    outreach.bulk_assign(db, org.id, [c.id for c in mine], officer.id, manager)
    later = [c for c in cases if c.flag_run_id != run_id][:3]
    if later:
        outreach.bulk_assign(db, org.id, [c.id for c in later], manager.id, manager)
    needs_cycle: list[dict[str, tuple[str, str | None]]] = [
        {"money_debt": ("urgent", "Council tax arrears; wants a payment plan"), "food": ("moderate", None)},
        {"housing": ("urgent", "Worried about eviction"), "money_debt": ("moderate", None)},
        {"fuel": ("moderate", "Prepayment meter often empty"), "digital": ("low", "No internet at home")},
        {"isolation": ("moderate", "Lives alone since a fall"), "health": ("moderate", None)},
        {"employment": ("low", "Hours cut at work"), "caring": ("moderate", "Cares for a parent")},
    ]
    for i, c in enumerate(mine):
        if i % 5 == 4:
            continue  # not contacted yet: the comparison group
        outreach.record_contact(db, c, officer, channel="phone", outcome="no_answer" if i % 3 == 0 else "reached",
                                note="SYNTHETIC demo contact")
        if i % 3 == 0:
            outreach.record_contact(db, c, officer, channel="letter", outcome="message_sent")
            continue
        outreach.record_needs(db, c, officer, needs_cycle[i % len(needs_cycle)])
        outreach.add_note(db, c, officer, "Talked through the help available. (SYNTHETIC demo note)")
        if i % 4 == 1:
            outreach.close_case(db, c, officer, "referred" if i % 8 == 1 else "supported")
        else:
            outreach.set_follow_up(db, c, officer, dt.date.today() + dt.timedelta(days=7 + i))
    if len(first_run) > len(mine):  # one resident objects to profiling
        c = first_run[-1]
        rules_service.record_opt_out(db, org.id, c.resident_id, objected_on=dt.date.today(), source="phone",
                                     user=officer, note="Asked not to be profiled (SYNTHETIC demo)")
