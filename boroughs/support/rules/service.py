"""The rule workbench and the flag runs: drafting, previewing, approving rule sets; opt-outs; running flags.

Rule sets are versioned per council (``support_rule_set``): an officer drafts a version (a copy of the live
one, or the shipped starting rules), changes it and previews it; submits it; a manager who did not write it
approves it (it goes live and the previous live version is kept as *replaced*) or sends it back with a
reason. A version that is invalid, or in which a rule would flag more than the council's ``max_share`` of
residents, cannot be submitted or approved: the message says which rule and why. The steps are declared
in ``boroughs.support.rules.workflow.RULE_SET`` (drawn in ``docs/support/workflows.md``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.core.models import Organisation, User
from boroughs.support.rules import engine as rl
from boroughs.support.rules import language as rules_language
from boroughs.support.rules.models import FlagRecord, FlagRun, OptOut, RuleSetVersion, RuleStatus
from boroughs.support.rules.workflow import RULE_SET

# What follows a run or an objection is up to the parts that use the flags: outreach opens cases from a run
# and closes a resident's open cases when they object (``boroughs.support.outreach`` connects both when it is
# imported, and importing the support area imports every part). The rules know none of them.
AFTER_RUN: list[Callable[[Session, FlagRun, User | None], object]] = []
AFTER_OPT_OUT: list[Callable[[Session, int, int, User | None], object]] = []

OPT_OUT_SOURCES = {"phone": "Phone call", "letter": "Letter", "email": "Email", "in_person": "In person",
                   "online_form": "Online form", "advocate": "Through an advocate or representative"}


# --------------------------------------------------------------------------------------------------------
# versions


def versions(db: Session, organisation_id: int) -> list[RuleSetVersion]:
    return list(db.scalars(select(RuleSetVersion).where(RuleSetVersion.organisation_id == organisation_id)
                           .order_by(RuleSetVersion.version.desc())))


def live_version(db: Session, organisation_id: int) -> RuleSetVersion | None:
    return db.scalar(select(RuleSetVersion).where(RuleSetVersion.organisation_id == organisation_id,
                                                  RuleSetVersion.status == RuleStatus.APPROVED)
                     .order_by(RuleSetVersion.version.desc()).limit(1))


def get_version(db: Session, version_id: int) -> RuleSetVersion:
    v = db.get(RuleSetVersion, version_id)
    if v is None:
        raise NotFound("There is no such rule set version.")
    return v


def parse_version(db: Session, v: RuleSetVersion) -> rules_language.RuleSet:
    org = db.get(Organisation, v.organisation_id)
    return rules_language.parse_rules(v.body, council=org.ons_code if org else None)


def _next_number(db: Session, organisation_id: int) -> int:
    n = db.scalar(select(func.max(RuleSetVersion.version)).where(RuleSetVersion.organisation_id == organisation_id))
    return int(n or 0) + 1


def create_draft(db: Session, organisation_id: int, author: User | None, *, body: str | None = None,
                 note: str | None = None) -> RuleSetVersion:
    """A new draft: ``body`` if given, else a copy of the live version, else the shipped starting rules."""
    live = live_version(db, organisation_id)
    if body is None:
        if live is not None:
            body = live.body
        else:
            org = db.get(Organisation, organisation_id)
            text = rules_language.default_rules_text(org.slug if org else "default")
            if org and org.ons_code:
                text = text.replace('council: ""', f"council: {org.ons_code}")
            body = text
    v = RuleSetVersion(organisation_id=organisation_id, version=_next_number(db, organisation_id),
                       based_on_id=live.id if live else None, status=RuleStatus.DRAFT, body=body,
                       change_note=note, author_id=author.id if author else None)
    db.add(v)
    db.flush()
    audit.record(db, "support.rules.draft", actor=author, organisation_id=organisation_id,
                 object_type="rule_set", object_id=v.id, detail={"version": v.version})
    return v


def _not_author(step: tuple[RuleSetVersion, User | None]) -> str | None:
    v, manager = step
    if manager is not None and v.author_id == manager.id:
        return "You wrote this version, so another manager must approve it."
    return None


RULE_SET_GUARDS = {"not_author": _not_author}


def _step(v: RuleSetVersion, user: User | None, name: str) -> str:
    """Check a step of ``RULE_SET`` for this person (none: the demo data or an internal caller) and return the
    new status."""
    if user is None:
        return RULE_SET.check(name, v.status, RULE_SET_GUARDS, (v, user))
    return RULE_SET.fire(name, v.status, user, {"council": [v.organisation_id]}, RULE_SET_GUARDS, (v, user))


def update_draft(db: Session, v: RuleSetVersion, user: User | None, body: str, note: str | None) -> list[str]:
    """Save a changed draft (kept even when invalid, so no work is lost); returns its problems."""
    status = _step(v, user, "edit")
    v.body = body
    v.change_note = note
    v.status = status
    v.preview = None
    v.previewed_at = None
    v.updated_at = utcnow()
    audit.record(db, "support.rules.edit", actor=user, organisation_id=v.organisation_id,
                 object_type="rule_set", object_id=v.id, detail={"version": v.version})
    return problems_of(db, v)


def problems_of(db: Session, v: RuleSetVersion) -> list[str]:
    try:
        parse_version(db, v)
    except rules_language.RuleError as exc:
        return exc.problems
    return []


def run_preview(db: Session, v: RuleSetVersion, user: User | None, frames: rl.Frames | None = None,
                *, as_of: dt.date | None = None) -> dict[str, Any]:
    """Evaluate the version over the council's residents (opted-out residents excluded) and keep the result."""
    from boroughs.support.rules.data import frames_from_db

    rule_set = parse_version(db, v)
    frames = frames or frames_from_db(db, v.organisation_id)
    result = rl.preview(rule_set, frames, opted_out=opted_out_ids(db, v.organisation_id), as_of=as_of)
    v.preview = result
    v.previewed_at = utcnow()
    audit.record(db, "support.rules.preview", actor=user, organisation_id=v.organisation_id,
                 object_type="rule_set", object_id=v.id,
                 purpose="preview early-warning rules before approval (counts and example residents)",
                 detail={"version": v.version, "flags": {r["id"]: r["count"] for r in result["rules"]}})
    return result


def _check_ready(db: Session, v: RuleSetVersion, frames: rl.Frames | None) -> dict[str, Any]:
    problems = problems_of(db, v)
    if problems:
        raise rules_language.RuleError(problems)
    result = run_preview(db, v, None, frames)
    if result["share_problems"]:
        raise rules_language.RuleError(result["share_problems"])
    return result


def submit(db: Session, v: RuleSetVersion, user: User | None, frames: rl.Frames | None = None) -> None:
    status = _step(v, user, "submit")
    _check_ready(db, v, frames)
    v.status = status
    v.submitted_at = utcnow()
    audit.record(db, "support.rules.submit", actor=user, organisation_id=v.organisation_id,
                 object_type="rule_set", object_id=v.id, detail={"version": v.version})


def approve(db: Session, v: RuleSetVersion, manager: User | None, note: str | None = None,
            frames: rl.Frames | None = None) -> None:
    """Make a submitted version live. The approver must not be its author; checks run again first."""
    status = _step(v, manager, "approve")
    _check_ready(db, v, frames)
    for old in db.scalars(select(RuleSetVersion).where(RuleSetVersion.organisation_id == v.organisation_id,
                                                       RuleSetVersion.status == RuleStatus.APPROVED)):
        old.status = RULE_SET.check("supersede", old.status, RULE_SET_GUARDS, (old, None))
    v.status = status
    v.decided_by_id = manager.id if manager else None
    v.decided_at = utcnow()
    v.decision_note = note
    audit.record(db, "support.rules.approve", actor=manager, organisation_id=v.organisation_id,
                 object_type="rule_set", object_id=v.id, detail={"version": v.version})


def reject(db: Session, v: RuleSetVersion, manager: User | None, note: str) -> None:
    status = _step(v, manager, "reject")
    if not note.strip():
        raise ValidationFailed("Say why the version is sent back, so its author can change it.")
    v.status = status
    v.decided_by_id = manager.id if manager else None
    v.decided_at = utcnow()
    v.decision_note = note.strip()
    audit.record(db, "support.rules.reject", actor=manager, organisation_id=v.organisation_id,
                 object_type="rule_set", object_id=v.id, detail={"version": v.version})


def export_file(db: Session, v: RuleSetVersion) -> str:
    """The version as a rule file with its version, author and approval in the header."""
    author = db.get(User, v.author_id) if v.author_id else None
    approver = db.get(User, v.decided_by_id) if v.decided_by_id and v.status in (
        RuleStatus.APPROVED, RuleStatus.SUPERSEDED) else None
    lines = [f"# Version {v.version} ({RuleStatus.LABELS.get(v.status, v.status)})",
             f"version: {v.version}", f"author: {author.email if author else 'unknown'}"]
    if approver and v.decided_at:
        lines += [f"approved_by: {approver.email}", f"approved_on: {v.decided_at.date().isoformat()}"]
    body = "\n".join(line for line in v.body.splitlines()
                     if not line.startswith(("version:", "author:", "approved_by:", "approved_on:")))
    return "\n".join(lines) + "\n" + body + ("\n" if not body.endswith("\n") else "")


# --------------------------------------------------------------------------------------------------------
# the right to object


def opted_out_ids(db: Session, organisation_id: int) -> set[int]:
    return set(db.scalars(select(OptOut.resident_id).where(OptOut.organisation_id == organisation_id,
                                                           OptOut.withdrawn_on.is_(None))))


def record_opt_out(db: Session, organisation_id: int, resident_id: int, *, objected_on: dt.date, source: str,
                   user: User | None, note: str | None = None) -> OptOut:
    """Record a resident's objection to proactive profiling; their open outreach cases are closed."""
    from boroughs.support.records.models import Resident

    if source not in OPT_OUT_SOURCES:
        raise ValidationFailed(f"Choose how the objection was received: {', '.join(OPT_OUT_SOURCES.values())}.")
    if objected_on > dt.date.today():
        raise ValidationFailed("The date of the objection cannot be in the future.")
    resident = db.get(Resident, resident_id)
    if resident is None or resident.organisation_id != organisation_id:
        raise NotFound("There is no such resident.")
    existing = db.scalar(select(OptOut).where(OptOut.organisation_id == organisation_id,
                                              OptOut.resident_id == resident_id, OptOut.withdrawn_on.is_(None)))
    if existing is not None:
        return existing
    row = OptOut(organisation_id=organisation_id, resident_id=resident_id, objected_on=objected_on, source=source,
                 note=note, recorded_by_id=user.id if user else None)
    db.add(row)
    db.flush()
    for listener in AFTER_OPT_OUT:  # flags already raised are withdrawn from worklists
        listener(db, organisation_id, resident_id, user)
    audit.record(db, "support.optout.record", actor=user, organisation_id=organisation_id,
                 object_type="resident", object_id=resident_id, purpose="record an objection to profiling",
                 detail={"source": source, "objected_on": objected_on.isoformat()})
    return row


def withdraw_opt_out(db: Session, row: OptOut, user: User | None) -> None:
    row.withdrawn_on = dt.date.today()
    row.withdrawn_by_id = user.id if user else None
    audit.record(db, "support.optout.withdraw", actor=user, organisation_id=row.organisation_id,
                 object_type="resident", object_id=row.resident_id, purpose="resident withdrew their objection")


# --------------------------------------------------------------------------------------------------------
# running the live rules


def live_rule_set(db: Session, organisation_id: int) -> tuple[RuleSetVersion, rules_language.RuleSet]:
    v = live_version(db, organisation_id)
    if v is None:
        raise ValidationFailed("This council has no approved early-warning rules yet: draft a version in the "
                               "rule workbench and ask a manager to approve it.")
    return v, parse_version(db, v)


def evaluate_live(db: Session, organisation_id: int, *, frames: rl.Frames | None = None,
                  as_of: dt.date | None = None) -> tuple[RuleSetVersion, rl.Evaluation]:
    from boroughs.support.rules.data import frames_from_db

    v, rule_set = live_rule_set(db, organisation_id)
    frames = frames or frames_from_db(db, organisation_id)
    return v, rl.evaluate(rule_set, frames, opted_out=opted_out_ids(db, organisation_id), as_of=as_of)


def run_flags(db: Session, organisation_id: int, user: User | None = None, *, frames: rl.Frames | None = None,
              as_of: dt.date | None = None, open_cases: bool = True) -> FlagRun:
    """Evaluate the live rules, store the run and its flags, and (by default, ``open_cases``) tell the parts
    that act on flags (outreach opens cases)."""
    v, ev = evaluate_live(db, organisation_id, frames=frames, as_of=as_of)
    run = FlagRun(organisation_id=organisation_id, rule_set_id=v.id, as_of=ev.as_of, residents=ev.residents,
                  opted_out=ev.opted_out, flags=len(ev.flags), per_rule=ev.per_rule, seconds=ev.seconds,
                  run_by_id=user.id if user else None)
    db.add(run)
    db.flush()
    rows = [{"run_id": run.id, "organisation_id": organisation_id, "resident_id": int(r.resident_id),
             "rule_id": r.rule_id, "severity": r.severity, "explanation": r.explanation, "facts": r.facts}
            for r in ev.flags.itertuples(index=False)]
    for i in range(0, len(rows), 2000):
        db.execute(insert(FlagRecord), rows[i:i + 2000])
    audit.record(db, "support.flags.run", actor=user, organisation_id=organisation_id, object_type="flag_run",
                 object_id=run.id, purpose="evaluate the approved early-warning rules",
                 detail={"rule_set_version": v.version, "flags": len(rows), "as_of": ev.as_of.isoformat()})
    if open_cases:
        for listener in AFTER_RUN:
            listener(db, run, user)
    return run


def flags_of_run(db: Session, run_id: int) -> list[tuple[int, str, str]]:
    """(resident id, rule id, severity) of every flag a run raised."""
    return [(int(r), str(rule), str(sev)) for r, rule, sev in db.execute(
        select(FlagRecord.resident_id, FlagRecord.rule_id, FlagRecord.severity).where(FlagRecord.run_id == run_id))]


def runs_of(db: Session, organisation_id: int) -> list[FlagRun]:
    """The council's flag runs, oldest first."""
    return list(db.scalars(select(FlagRun).where(FlagRun.organisation_id == organisation_id).order_by(FlagRun.id)))


def get_run(db: Session, run_id: int) -> FlagRun | None:
    return db.get(FlagRun, run_id)


def opt_out_in_force(db: Session, organisation_id: int, resident_id: int) -> OptOut | None:
    """The resident's objection to profiling, while it stands."""
    return db.scalar(select(OptOut).where(OptOut.organisation_id == organisation_id, OptOut.resident_id == resident_id,
                                          OptOut.withdrawn_on.is_(None)))


def objections_in_force(db: Session, organisation_id: int) -> int:
    return db.scalar(select(func.count()).select_from(OptOut).where(
        OptOut.organisation_id == organisation_id, OptOut.withdrawn_on.is_(None))) or 0


def flags_of_resident(db: Session, organisation_id: int, resident_id: int) -> list[FlagRecord]:
    return list(db.scalars(select(FlagRecord).where(FlagRecord.organisation_id == organisation_id,
                                                    FlagRecord.resident_id == resident_id)
                           .order_by(FlagRecord.run_id.desc())))


def latest_run(db: Session, organisation_id: int) -> FlagRun | None:
    return db.scalar(select(FlagRun).where(FlagRun.organisation_id == organisation_id)
                     .order_by(FlagRun.id.desc()).limit(1))
