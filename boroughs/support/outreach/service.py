"""Outreach: flags become prioritised cases that managers assign to officers, who contact residents,
assess their needs, keep notes, set follow-ups and close cases with a reason.

Public API for other support modules (referrals, issue 7, start from an outreach case):

* ``get_case(db, case_id)`` → ``OutreachCase`` (``organisation_id``, ``resident_id``, ``status``,
  ``assigned_to_id``, ``severity``, ``rule_ids``; ``needs`` → ``CaseNeed`` rows with ``need``, ``level``,
  ``detail``); check ``support.outreach.work`` on ``case.organisation_id`` before using it.
* ``case_needs(db, case_id)`` → ``list[str]``: the assessed needs (keys of ``NEEDS``), for ranking services.
* ``add_note(db, case, user, text)``: what a referral should log on the case ("Referred to ...").
* ``close_case(db, case, user, "referred")``: the closing reason for a case handed to a partner.

A case's statuses and steps are declared in ``boroughs.support.outreach.workflow.OUTREACH_CASE`` (drawn in
``docs/support/workflows.md``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import Membership, Role, User
from boroughs.support.outreach.models import (
    CaseAssignment,
    CaseNeed,
    CaseNote,
    ContactAttempt,
    Notification,
    OutreachCase,
)
from boroughs.support.outreach.notify import NotificationBackend, NotifyError
from boroughs.support.outreach.workflow import OUTREACH_CASE
from boroughs.support.records.needs import NEEDS
from boroughs.support.rules import service as rules_service
from boroughs.support.rules.vocabulary import SEVERITY_RANK

if TYPE_CHECKING:
    from boroughs.support.rules.models import FlagRun

STATUSES = dict(OUTREACH_CASE.states)
CHANNELS = {"phone": "Phone", "letter": "Letter", "email": "Email", "sms": "Text message (SMS)", "visit": "Home visit"}
OUTCOMES = {
    "reached": "Spoke to the resident",
    "no_answer": "No answer",
    "left_message": "Left a message",
    "message_sent": "Message or letter sent",
    "not_home": "Nobody at home",
    "wrong_details": "Contact details were wrong",
    "declined": "Resident did not want help",
}
NEED_LEVELS = {"urgent": "Urgent", "moderate": "Moderate", "low": "Low"}
CLOSING_REASONS = {
    "supported": "Support given by the council",
    "referred": "Referred to a partner",
    "no_needs": "No support needed",
    "declined": "Resident did not want help",
    "could_not_contact": "Could not make contact",
    "moved_away": "Moved away",
    "opted_out": "Resident objected to profiling",
    "duplicate": "Duplicate case",
}
PAGE_SIZE = 25


def priority_of(severity: str, n_rules: int) -> int:
    """Higher first: severity, then how many rules fired."""
    return SEVERITY_RANK.get(severity, 0) * 1000 + min(n_rules, 99) * 10


# --------------------------------------------------------------------------------------------------------
# opening cases


def open_cases_from_run(db: Session, run: FlagRun, user: User | None = None) -> int:
    """One open case per flagged resident: new flags join a resident's open case (raising its priority)."""
    flags = rules_service.flags_of_run(db, run.id)
    if not flags:
        return 0
    by_res: dict[int, tuple[set[str], str]] = {}
    for rid, rule_id, sev in flags:
        rules, best = by_res.get(rid, (set(), "low"))
        rules.add(rule_id)
        by_res[rid] = (rules, sev if SEVERITY_RANK[sev] > SEVERITY_RANK[best] else best)
    opted = rules_service.opted_out_ids(db, run.organisation_id)
    existing = {c.resident_id: c for c in db.scalars(
        select(OutreachCase).where(OutreachCase.organisation_id == run.organisation_id,
                                   OutreachCase.status != "closed"))}
    wards = _wards(db, run.organisation_id, list(by_res))
    opened = 0
    for rid, (rules, sev) in by_res.items():
        if rid in opted:
            continue
        case = existing.get(rid)
        if case is None:
            db.add(OutreachCase(organisation_id=run.organisation_id, resident_id=rid, status="open", severity=sev,
                                priority=priority_of(sev, len(rules)), rule_ids=sorted(rules), flag_run_id=run.id,
                                ward_name=wards.get(rid)))
            opened += 1
        else:
            merged = sorted(set(case.rule_ids or []) | rules)
            if SEVERITY_RANK[sev] > SEVERITY_RANK.get(case.severity, 0):
                case.severity = sev
            case.rule_ids = merged
            case.priority = priority_of(case.severity, len(merged))
    db.flush()
    audit.record(db, "support.outreach.open_cases", actor=user, organisation_id=run.organisation_id,
                 object_type="flag_run", object_id=run.id, detail={"opened": opened})
    return opened


def _wards(db: Session, organisation_id: int, resident_ids: list[int]) -> dict[int, str]:
    from boroughs.core.models import Area
    from boroughs.support.records.models import Resident

    out: dict[int, str] = {}
    lsoa = dict(db.execute(select(Resident.id, Resident.lsoa21_code)
                           .where(Resident.organisation_id == organisation_id)).all())
    codes = {c for c in lsoa.values() if c}
    if not codes:
        return out
    ward_of = dict(db.execute(select(Area.code, Area.ward_code).where(Area.kind == "lsoa21")).all())
    names = dict(db.execute(select(Area.code, Area.name).where(Area.kind == "ward")).all())
    for rid in resident_ids:
        code = lsoa.get(rid)
        w = ward_of.get(code) if code else None
        if w:
            out[rid] = names.get(w, w)
    return out


# --------------------------------------------------------------------------------------------------------
# reading


def open_cases_by_resident(db: Session, organisation_id: int) -> dict[int, OutreachCase]:
    """The council's open cases, by resident."""
    return {c.resident_id: c for c in db.scalars(select(OutreachCase).where(
        OutreachCase.organisation_id == organisation_id, OutreachCase.status != "closed"))}


def open_case(db: Session, organisation_id: int, resident_id: int, *, severity: str, priority: int,
              rule_ids: list[str], ward_name: str | None) -> OutreachCase:
    """Open a case for a resident (for flags that come from elsewhere than a rule run, e.g. benefit take-up)."""
    case = OutreachCase(organisation_id=organisation_id, resident_id=resident_id, status="open", severity=severity,
                        priority=priority, rule_ids=rule_ids, ward_name=ward_name)
    db.add(case)
    return case


def case_states(db: Session, case_ids: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    """Case id -> (status, the assigned officer's name)."""
    wanted = set(case_ids)
    if not wanted:
        return {}
    rows = db.execute(select(OutreachCase.id, OutreachCase.status, User.name)
                      .outerjoin(User, User.id == OutreachCase.assigned_to_id).where(OutreachCase.id.in_(wanted)))
    return {i: (status, name) for i, status, name in rows}


def find_case(db: Session, case_id: int | None) -> OutreachCase | None:
    return db.get(OutreachCase, case_id) if case_id is not None else None


def get_case(db: Session, case_id: int) -> OutreachCase:
    case = db.get(OutreachCase, case_id)
    if case is None:
        raise NotFound("There is no such outreach case.")
    return case


def case_needs(db: Session, case_id: int) -> list[str]:
    return sorted(set(db.scalars(select(CaseNeed.need).where(CaseNeed.case_id == case_id))))


@dataclass
class WorklistRow:
    case_id: int
    resident_id: int
    name: str
    severity: str
    priority: int
    status: str
    ward: str | None
    rules: list[str]
    assigned_to: str | None
    follow_up_on: dt.date | None
    synthetic: bool


def worklist(db: Session, organisation_id: int, *, status: str | None = "active", assigned_to: int | None = None,
             unassigned: bool = False, severity: str | None = None, ward: str | None = None, page: int = 1,
             per_page: int = PAGE_SIZE) -> tuple[list[WorklistRow], int]:
    """A page of the council's cases, highest priority first (then oldest), with the total matching."""
    from boroughs.support.records.models import Resident

    conds: list[Any] = [OutreachCase.organisation_id == organisation_id]
    if status == "active":
        conds.append(OutreachCase.status != "closed")
    elif status:
        conds.append(OutreachCase.status == status)
    if assigned_to is not None:
        conds.append(OutreachCase.assigned_to_id == assigned_to)
    if unassigned:
        conds.append(OutreachCase.assigned_to_id.is_(None))
    if severity:
        conds.append(OutreachCase.severity == severity)
    if ward:
        conds.append(OutreachCase.ward_name == ward)
    where = and_(*conds)
    total = db.scalar(select(func.count()).select_from(OutreachCase).where(where)) or 0
    # the page of cases first (top-N over the council's cases only), then their residents and officers
    page_q = (select(OutreachCase.id, OutreachCase.resident_id, OutreachCase.severity, OutreachCase.priority,
                     OutreachCase.status, OutreachCase.ward_name, OutreachCase.rule_ids, OutreachCase.assigned_to_id,
                     OutreachCase.follow_up_on)
              .where(where).order_by(OutreachCase.priority.desc(), OutreachCase.id)
              .limit(per_page).offset(max(0, page - 1) * per_page)).subquery()
    q = (select(page_q.c.id, page_q.c.resident_id, Resident.first_name, Resident.last_name, page_q.c.severity,
                page_q.c.priority, page_q.c.status, page_q.c.ward_name, page_q.c.rule_ids, User.name,
                page_q.c.follow_up_on, Resident.synthetic)
         .join(Resident, Resident.id == page_q.c.resident_id)
         .outerjoin(User, User.id == page_q.c.assigned_to_id)
         .order_by(page_q.c.priority.desc(), page_q.c.id))
    rows = [WorklistRow(r[0], r[1], f"{r[2]} {r[3]}", r[4], r[5], r[6], r[7], list(r[8] or []), r[9], r[10],
                        bool(r[11])) for r in db.execute(q)]
    return rows, int(total)


@dataclass(frozen=True)
class Officer:
    id: int
    name: str


def officers(db: Session, organisation_id: int) -> list[Officer]:
    """People who can work outreach cases in the council (officers and managers), by name."""
    rows = db.execute(select(User.id, User.name).join(Membership, Membership.user_id == User.id)
                      .where(Membership.organisation_id == organisation_id,
                             Membership.role.in_([Role.COUNCIL_OFFICER.value, Role.COUNCIL_MANAGER.value]),
                             User.is_active.is_(True))
                      .distinct().order_by(User.name)).all()
    return [Officer(int(i), str(n)) for i, n in rows]


# --------------------------------------------------------------------------------------------------------
# assignment


def _check_officer(db: Session, organisation_id: int, user_id: int) -> Officer:
    for u in officers(db, organisation_id):
        if u.id == user_id:
            return u
    raise ValidationFailed("Choose an officer of this council.")


def assign(db: Session, case: OutreachCase, to_user_id: int, by: User | None) -> None:
    if case.status == "closed":
        raise ValidationFailed("This case is closed; reopen it by opening a new case from a new flag.")
    _check_officer(db, case.organisation_id, to_user_id)
    if case.assigned_to_id == to_user_id:
        return
    db.add(CaseAssignment(case_id=case.id, from_user_id=case.assigned_to_id, to_user_id=to_user_id,
                          by_user_id=by.id if by else None))
    action = "support.outreach.reassign" if case.assigned_to_id else "support.outreach.assign"
    case.assigned_to_id = to_user_id
    case.assigned_at = utcnow()
    audit.record(db, action, actor=by, organisation_id=case.organisation_id, object_type="outreach_case",
                 object_id=case.id, detail={"to_user_id": to_user_id})


def bulk_assign(db: Session, organisation_id: int, case_ids: list[int], to_user_id: int, by: User | None) -> int:
    """Assign several cases at once; every case must belong to the council and be open."""
    if not case_ids:
        raise ValidationFailed("Select at least one case to assign.")
    _check_officer(db, organisation_id, to_user_id)
    cases = list(db.scalars(select(OutreachCase).where(OutreachCase.id.in_(case_ids))))
    if len(cases) != len(set(case_ids)) or any(c.organisation_id != organisation_id for c in cases):
        raise NotFound("One of the selected cases does not exist.")
    for c in cases:
        assign(db, c, to_user_id, by)
    return len(cases)


# --------------------------------------------------------------------------------------------------------
# working a case


def _open(case: OutreachCase) -> None:
    if case.status == "closed":
        raise ValidationFailed("This case is closed.")


def _may_work(case: OutreachCase, user: User | None) -> None:
    """Officers work the cases assigned to them; managers any case of their council."""
    if user is None:
        return
    from boroughs.core.permissions import roles_in

    roles = roles_in(user, case.organisation_id)
    if Role.COUNCIL_MANAGER in roles:
        return
    if case.assigned_to_id != user.id:
        raise PermissionDenied("This case is assigned to someone else. Ask a manager to reassign it to you.")


def _assigned(step: tuple[OutreachCase, User | None]) -> str | None:
    _may_work(*step)
    return None


CASE_GUARDS = {"assigned": _assigned}


def _step(case: OutreachCase, user: User | None, name: str) -> str:
    """Check a step of ``OUTREACH_CASE`` for this person (none: an internal caller) and return the new status."""
    if user is None:
        return OUTREACH_CASE.check(name, case.status, CASE_GUARDS, (case, user))
    return OUTREACH_CASE.fire(name, case.status, user, {"council": [case.organisation_id]}, CASE_GUARDS,
                              (case, user))


def contact_details(db: Session, resident_id: int) -> dict[str, Any]:
    """The latest phone, email and address on the resident's linked records (for contacting them)."""
    from boroughs.support.records.models import ResidentRecord, SourceRecord

    recs = list(db.scalars(select(SourceRecord).join(ResidentRecord, ResidentRecord.source_record_id == SourceRecord.id)
                           .where(ResidentRecord.resident_id == resident_id)
                           .order_by(SourceRecord.updated_at.desc(), SourceRecord.id.desc())))
    out: dict[str, Any] = {"phone": None, "email": None, "address": None, "first_name": None}
    for r in recs:
        out["phone"] = out["phone"] or r.phone
        out["email"] = out["email"] or r.email
        out["first_name"] = out["first_name"] or r.first_name
        if out["address"] is None and r.address_line_1:
            out["address"] = {"address_line_1": r.address_line_1, "address_line_2": r.address_line_2 or "",
                              "postcode": r.postcode or ""}
    return out


def record_contact(db: Session, case: OutreachCase, user: User | None, *, channel: str, outcome: str,
                   note: str | None = None, send: NotificationBackend | None = None,
                   template: str = "outreach_intro", council_name: str = "", council_phone: str = "") -> ContactAttempt:
    """A contact attempt and its outcome. For email, SMS and letter, ``send`` sends the message through the
    notification backend first; a message the backend refuses is recorded as failed and raises."""
    status = _step(case, user, "work")
    if channel not in CHANNELS:
        raise ValidationFailed(f"Choose how you contacted the resident: {', '.join(CHANNELS.values())}.")
    if outcome not in OUTCOMES:
        raise ValidationFailed(f"Choose what happened: {', '.join(OUTCOMES.values())}.")
    notification_id = None
    if send is not None and channel in ("email", "sms", "letter"):
        details = contact_details(db, case.resident_id)
        to: Any = {"email": details["email"], "sms": details["phone"], "letter": details["address"]}[channel]
        if not to:
            raise ValidationFailed(f"The resident's records hold no {'address' if channel == 'letter' else channel} "
                                   "to send to. Try another way of contacting them.")
        personalisation = {"first_name": details["first_name"] or "there", "council": council_name,
                           "phone": council_phone}
        n = Notification(organisation_id=case.organisation_id, case_id=case.id, channel=channel, template=template,
                         backend=getattr(send, "name", "unknown"), status="sending",
                         by_user_id=user.id if user else None)
        db.add(n)
        db.flush()
        try:
            result = send.send(channel, template, to, personalisation, reference=f"case-{case.id}-{n.id}")
        except NotifyError as exc:
            n.status = "failed"
            n.error = str(exc)
            raise ValidationFailed(f"The message was not sent: {exc}") from None
        n.status = result.status
        n.reference = result.reference
        n.detail = result.detail
        notification_id = n.id
        if outcome not in ("message_sent",):
            outcome = "message_sent"
    attempt = ContactAttempt(case_id=case.id, channel=channel, outcome=outcome, note=(note or "").strip() or None,
                             notification_id=notification_id, by_user_id=user.id if user else None)
    db.add(attempt)
    now = utcnow()
    case.first_contact_at = case.first_contact_at or now
    if outcome == "reached":
        case.reached_at = case.reached_at or now
    case.status = status
    db.flush()
    audit.record(db, "support.outreach.contact", actor=user, organisation_id=case.organisation_id,
                 object_type="outreach_case", object_id=case.id, purpose="preventative outreach",
                 detail={"channel": channel, "outcome": outcome})
    return attempt


def record_needs(db: Session, case: OutreachCase, user: User | None, needs: dict[str, tuple[str, str | None]]) -> None:
    """The needs assessment: ``{need: (level, detail)}`` over the taxonomy in ``NEEDS``; replaces the last one."""
    status = _step(case, user, "work")
    unknown = sorted(set(needs) - set(NEEDS))
    if unknown:
        raise ValidationFailed(f"Unknown need {', '.join(unknown)}: choose from {', '.join(NEEDS.values())}.")
    for need, (level, _) in needs.items():
        if level not in NEED_LEVELS:
            raise ValidationFailed(f"Say how urgent the {NEEDS[need].lower()} need is.")
    for old in list(case.needs):
        db.delete(old)
    for need, (level, detail) in needs.items():
        db.add(CaseNeed(case_id=case.id, need=need, level=level, detail=(detail or "").strip() or None,
                        by_user_id=user.id if user else None))
    case.status = status
    db.flush()
    db.expire(case, ["needs"])
    audit.record(db, "support.outreach.needs", actor=user, organisation_id=case.organisation_id,
                 object_type="outreach_case", object_id=case.id, purpose="needs assessment",
                 detail={"needs": sorted(needs)})


def add_note(db: Session, case: OutreachCase, user: User | None, text: str) -> CaseNote:
    _may_work(case, user)
    if not text.strip():
        raise ValidationFailed("Write the note before saving it.")
    if len(text) > 5000:
        raise ValidationFailed("A note must be 5,000 characters or fewer.")
    note = CaseNote(case_id=case.id, text=text.strip(), by_user_id=user.id if user else None)
    db.add(note)
    db.flush()
    audit.record(db, "support.outreach.note", actor=user, organisation_id=case.organisation_id,
                 object_type="outreach_case", object_id=case.id)
    return note


def set_follow_up(db: Session, case: OutreachCase, user: User | None, on: dt.date | None) -> None:
    _open(case)
    _may_work(case, user)
    if on is not None and on < dt.date.today():
        raise ValidationFailed("The follow-up date must be today or later.")
    case.follow_up_on = on
    audit.record(db, "support.outreach.follow_up", actor=user, organisation_id=case.organisation_id,
                 object_type="outreach_case", object_id=case.id, detail={"on": on.isoformat() if on else None})


def close_case(db: Session, case: OutreachCase, user: User | None, reason: str) -> None:
    status = _step(case, user, "close")
    if reason not in CLOSING_REASONS:
        raise ValidationFailed(f"Choose why the case is closing: {', '.join(CLOSING_REASONS.values())}.")
    case.status = status
    case.closing_reason = reason
    case.closed_at = utcnow()
    case.closed_by_id = user.id if user else None
    case.follow_up_on = None
    audit.record(db, "support.outreach.close", actor=user, organisation_id=case.organisation_id,
                 object_type="outreach_case", object_id=case.id, detail={"reason": reason})


def close_for_opt_out(db: Session, organisation_id: int, resident_id: int, user: User | None) -> int:
    cases = list(db.scalars(select(OutreachCase).where(OutreachCase.organisation_id == organisation_id,
                                                       OutreachCase.resident_id == resident_id,
                                                       OutreachCase.status != "closed")))
    for c in cases:
        c.status = OUTREACH_CASE.check("opt_out", c.status, CASE_GUARDS, (c, user))
        c.closing_reason = "opted_out"
        c.closed_at = utcnow()
        c.closed_by_id = user.id if user else None
    return len(cases)


# Referrals made from a case are shown on it. support/referrals adds the function that lists them (it
# builds on outreach, not the other way round): (session, council id, case id, resident id) -> rows with
# ``reference``, ``service``, ``organisation``, ``status_label``, ``outcome_label``, ``outcome_note``, dates.
CASE_REFERRALS: list[Callable[[Session, int, int, int], list[Any]]] = []


def case_referrals(db: Session, organisation_id: int, case_id: int, resident_id: int) -> list[Any]:
    return [row for listing in CASE_REFERRALS for row in listing(db, organisation_id, case_id, resident_id)]


# Outreach acts on the rules: a run opens cases, an objection to profiling closes them.
rules_service.AFTER_RUN.append(open_cases_from_run)
rules_service.AFTER_OPT_OUT.append(close_for_opt_out)
