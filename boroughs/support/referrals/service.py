"""Closed-loop referrals: minimised sharing under a live agreement, the VCS side (accept, decline with a
reason, contact, outcome), the referring officer's view of every change, reminders and returns, the share
log every resident view and subject access request reads, and partnership reporting.

Lifecycle (``boroughs.support.referrals.workflow.REFERRAL``; drawn in ``docs/support/workflows.md``)::

    sent ─accept→ accepted ─contact→ in_contact ─outcome→ closed
      │             └─────────outcome──────────────────────↑
      ├─decline (reason required)→ declined
      ├─(nobody accepts within twice the promise)→ returned
      └─(consent withdrawn / agreement ended)→ withdrawn
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from boroughs.core import audit
from boroughs.core.csv_safety import safe_row
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import Organisation
from boroughs.core.permissions import can, orgs_where
from boroughs.support.directory.service import (
    get_service,
    needs,
    owner_of,
    service_names,
    service_needs,
    services_by_id,
)
from boroughs.support.governance import service as governance
from boroughs.support.outreach import service as outreach_service
from boroughs.support.referrals import messages as referral_messages
from boroughs.support.referrals.models import Referral, ReferralBatch, ReferralEvent, Share
from boroughs.support.referrals.workflow import REFERRAL

if TYPE_CHECKING:
    from boroughs.support.directory.models import DirService
    from boroughs.support.governance.models import Consent

OUTCOMES: dict[str, str] = {
    "help_given": "Help given",
    "signposted": "Signposted elsewhere",
    "could_not_contact": "Could not contact the resident",
    "no_longer_needed": "No longer needed",
    "declined_by_resident": "Resident declined the help",
    "not_eligible": "Not eligible after assessment",
}
STATUS_LABELS = dict(REFERRAL.states)
OPEN = ("sent", "accepted", "in_contact")
TERMINAL = ("declined", "closed", "returned", "withdrawn")
PURPOSE_READ = "handle a referral made to this organisation"
PURPOSE_OFFICER = "follow a referral this council made"


# ------------------------------------------------------------------------------------ resident facts

def _age(dob: dt.date | None, on: dt.date) -> int | None:
    if dob is None:
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def age_band(age: int | None) -> str | None:
    if age is None:
        return None
    for lo, hi in ((0, 17), (18, 24), (25, 34), (35, 49), (50, 64), (65, 74)):
        if lo <= age <= hi:
            return f"{lo}–{hi}"
    return "75 or over"


@dataclass
class ResidentFacts:
    resident_id: int
    council_id: int
    synthetic: bool
    borough_code: str | None
    age: int | None
    values: dict[str, Any]

    @property
    def display_name(self) -> str:
        return f"{self.values.get('first_name', '')} {self.values.get('last_name', '')}".strip()


# Facts about a resident that other support parts hold, keyed by their ``governance.FIELDS`` name: a part
# registers a function (db, resident id) -> text or None. Minimisation still decides what is shared.
FACT_PROVIDERS: dict[str, Callable[[Session, int], str | None]] = {}


def resident_facts(db: Session, resident_id: int, *, needs_list: list[str] | None = None,
                   reason: str | None = None) -> ResidentFacts:
    """Everything a referral *could* share about a resident (``governance.FIELDS``), read from the linked
    view (``support_resident`` and its latest source record). Minimisation happens later."""
    from boroughs.support.records.models import Resident, ResidentRecord, SourceRecord

    r = db.get(Resident, resident_id)
    if r is None:
        raise NotFound("There is no such resident.")
    latest = db.scalar(select(SourceRecord).join(ResidentRecord, ResidentRecord.source_record_id == SourceRecord.id)
                       .where(ResidentRecord.resident_id == r.id)
                       .order_by(SourceRecord.updated_at.desc(), SourceRecord.id.desc()).limit(1))
    council = db.get(Organisation, r.organisation_id)
    today = utcnow().date()
    age = _age(r.dob, today)
    address = None
    phone = email = None
    if latest is not None:
        address = ", ".join(x for x in (latest.address_line_1, latest.address_line_2) if x) or None
        phone, email = latest.phone, latest.email
    labels = needs()
    values = {
        "first_name": r.first_name,
        "last_name": r.last_name,
        "date_of_birth": r.dob.isoformat() if r.dob else None,
        "age_band": age_band(age),
        "phone": phone,
        "email": email,
        "address": address,
        "postcode": r.postcode,
        "needs": [labels.get(n, n) for n in needs_list or []],
        "referral_reason": reason,
        "disability": None if r.disability is None else ("Yes" if r.disability else "No"),
    }
    for key, provide in FACT_PROVIDERS.items():  # facts other parts hold (e.g. the benefit take-up estimate)
        values[key] = provide(db, r.id)
    return ResidentFacts(r.id, r.organisation_id, bool(r.synthetic), council.ons_code if council else None, age,
                         values)


def case_needs(db: Session, case_id: int, council_id: int) -> tuple[int, list[str]]:
    """(resident id, assessed need keys) of an outreach case of this council (``boroughs.support.outreach.service``)."""
    from boroughs.support.outreach import service as outreach

    case = outreach.get_case(db, case_id)
    if case.organisation_id != council_id:
        raise NotFound("There is no such outreach case.")
    return case.resident_id, outreach.case_needs(db, case_id)


# -------------------------------------------------------------------------------------------- sending

@dataclass
class Draft:
    """What one referral would share, shown to the officer before sending."""

    service: DirService
    recipient_id: int
    permit: governance.Permit | None
    shared: dict[str, Any]
    needs: list[str] = field(default_factory=list)
    refused: str | None = None


def draft_referrals(db: Session, user: Any, *, council_id: int, resident_id: int, service_ids: Iterable[int],
                    needs_list: list[str], reason: str | None) -> list[Draft]:
    if not can(user, "support.referral.create", council_id):
        raise PermissionDenied("You cannot refer this council's residents.")
    facts = resident_facts(db, resident_id, needs_list=needs_list, reason=reason)
    if facts.council_id != council_id:
        raise NotFound("There is no such resident.")
    out = []
    for sid in dict.fromkeys(service_ids):
        svc = get_service(db, sid)
        owner = owner_of(svc)
        if owner is None or not svc.receives_referrals:
            out.append(Draft(svc, 0, None, {}, refused="This service does not take referrals through Boroughs."))
            continue
        # minimal about needs too: a service hears only of the assessed needs it meets (all, if it meets none)
        relevant = [n for n in needs_list if n in service_needs(svc)] or list(needs_list)
        try:
            permit = governance.check_share(db, council_id=council_id, recipient_id=owner, resident_id=resident_id,
                                            needs=relevant)
        except governance.ShareRefused as exc:
            out.append(Draft(svc, owner, None, {}, refused=str(exc)))
            continue
        labels = needs()
        values = {**facts.values, "needs": [labels.get(n, n) for n in relevant]}
        out.append(Draft(svc, owner, permit, governance.minimise(values, permit), relevant))
    return out


def _reference() -> str:
    return "R-" + secrets.token_hex(4).upper()


def send_referrals(db: Session, user: Any, *, council_id: int, resident_id: int, service_ids: Iterable[int],
                   needs_list: list[str], reason: str | None, outreach_case_id: int | None = None,
                   now: dt.datetime | None = None) -> ReferralBatch:
    """Send one referral per service, each carrying only the fields its agreement allows for the purpose.
    Nothing is sent unless every chosen service can lawfully receive it (the officer removes the others)."""
    now = now or utcnow()
    service_ids = list(dict.fromkeys(service_ids))
    if not service_ids:
        raise ValidationFailed("Choose at least one service.")
    drafts = draft_referrals(db, user, council_id=council_id, resident_id=resident_id, service_ids=service_ids,
                             needs_list=needs_list, reason=reason)
    refused = [d for d in drafts if d.permit is None]
    if refused:
        raise ValidationFailed("Nothing was sent. " + " ".join(f"{d.service.name}: {d.refused}" for d in refused))
    batch = ReferralBatch(council_id=council_id, resident_id=resident_id, outreach_case_id=outreach_case_id,
                          created_by_id=getattr(user, "id", None), created_at=now)
    db.add(batch)
    db.flush()
    for d in drafts:
        assert d.permit is not None
        ref = Referral(
            reference=_reference(), batch_id=batch.id, council_id=council_id, resident_id=resident_id,
            outreach_case_id=outreach_case_id, service_id=d.service.id, vcs_org_id=d.recipient_id,
            agreement_id=d.permit.agreement.id, purpose_key=d.permit.purpose.key,
            consent_id=d.permit.consent.id if d.permit.consent else None, shared=d.shared,
            shared_fields=sorted(d.shared), needs=list(d.needs), status="sent",
            created_by_id=getattr(user, "id", None), sent_at=now,
            respond_by=now + dt.timedelta(days=d.service.response_days or 3),
        )
        db.add(ref)
        db.flush()
        ref.events.append(ReferralEvent(kind="sent", at=now, actor_id=getattr(user, "id", None),
                                        actor_org_id=council_id, note=f"Sent to {d.service.name}"))
        db.add(Share(at=now, council_id=council_id, resident_id=resident_id, recipient_org_id=d.recipient_id,
                     agreement_id=d.permit.agreement.id, purpose_key=d.permit.purpose.key,
                     lawful_basis=governance.basis_label(d.permit.agreement), fields=sorted(d.shared),
                     referral_id=ref.id, consent_id=ref.consent_id, actor_id=getattr(user, "id", None)))
        audit.record(db, "support.referral.share", actor=user, organisation_id=council_id,
                     object_type="referral", object_id=ref.id, purpose=d.permit.purpose.description[:300],
                     detail={"resident_id": resident_id, "recipient_org_id": d.recipient_id,
                             "agreement": d.permit.agreement.reference, "purpose": d.permit.purpose.key,
                             "fields": sorted(d.shared)})
        referral_messages.new_referral(db, ref)
    if outreach_case_id is not None:
        from boroughs.support.outreach import service as outreach

        case = outreach.get_case(db, outreach_case_id)
        if case.organisation_id != council_id or case.resident_id != resident_id:
            raise NotFound("There is no such outreach case.")
        names = ", ".join(d.service.name for d in drafts)
        outreach.add_note(db, case, user, f"Referred to {names} (referral batch {batch.id}).")
    db.flush()
    return batch


# ------------------------------------------------------------------------------------------ VCS side

def inbox_orgs(user: Any) -> set[int]:
    return orgs_where(user, "support.referral.inbox")


def inbox(db: Session, user: Any, org_id: int, *, status: str | None = None, page: int = 1,
          per_page: int = 50) -> tuple[list[Referral], int]:
    """One page of an organisation's referrals (newest first) and the total; only for its own staff."""
    if not can(user, "support.referral.inbox", org_id):
        raise PermissionDenied("You can only see referrals made to your own organisation.")
    q = select(Referral).where(Referral.vcs_org_id == org_id)
    cq = select(func.count()).select_from(Referral).where(Referral.vcs_org_id == org_id)
    if status == "open":
        q = q.where(Referral.status.in_(OPEN))
        cq = cq.where(Referral.status.in_(OPEN))
    elif status:
        q = q.where(Referral.status == status)
        cq = cq.where(Referral.status == status)
    # deferred join: the page's ids come from an index-only scan, then only those rows are loaded
    ids = q.with_only_columns(Referral.id).order_by(Referral.sent_at.desc(), Referral.id.desc()) \
        .offset((max(page, 1) - 1) * per_page).limit(per_page).subquery()
    rows = list(db.scalars(select(Referral).join(ids, ids.c.id == Referral.id)
                           .order_by(Referral.sent_at.desc(), Referral.id.desc())))
    total = int(db.scalar(cq) or 0)
    return rows, total


def visible_shared(db: Session, ref: Referral) -> dict[str, Any]:
    """The shared data the recipient may still see: nothing once consent is withdrawn or expired, the agreement
    has ended, or retention has removed it."""
    agreement = governance.get_agreement(db, ref.agreement_id)
    if agreement is None or ref.anonymised_at is not None:
        return {}
    if not governance.permit_still_valid(db, council_id=ref.council_id, resident_id=ref.resident_id,
                                         agreement=agreement, purpose_key=ref.purpose_key,
                                         consent_id=ref.consent_id):
        return {}
    return {k: v for k, v in (ref.shared or {}).items() if k in ref.shared_fields}


def get_for_vcs(db: Session, user: Any, referral_id: int, *, action: str = "support.referral.inbox",
                purpose: str = PURPOSE_READ) -> Referral:
    """A referral for its recipient's staff; anyone else gets 'not found' (ids cannot be probed). Audited."""
    ref = db.get(Referral, referral_id)
    if ref is None or not can(user, action, ref.vcs_org_id):
        raise NotFound("There is no such referral in your organisation's inbox.")
    audit.record(db, "support.referral.read", actor=user, organisation_id=ref.vcs_org_id, object_type="referral",
                 object_id=ref.id, purpose=purpose, detail={"fields": sorted(visible_shared(db, ref))})
    return ref


def get_for_council(db: Session, user: Any, referral_id: int) -> Referral:
    ref = db.get(Referral, referral_id)
    if ref is None or not can(user, "support.referral.view_sent", ref.council_id):
        raise NotFound("There is no such referral.")
    audit.record(db, "support.referral.read", actor=user, organisation_id=ref.council_id,
                 object_type="referral", object_id=ref.id, purpose=PURPOSE_OFFICER)
    return ref


def _event(ref: Referral, kind: str, user: Any, note: str | None, now: dt.datetime) -> None:
    ref.events.append(ReferralEvent(kind=kind, at=now, actor_id=getattr(user, "id", None),
                                    actor_org_id=ref.vcs_org_id if user is not None else None, note=note))
    ref.officer_unseen = True


def _still_shared(ref: Referral) -> str | None:
    db = object_session(ref)
    if db is not None and ref.shared_fields and not visible_shared(db, ref):
        return ("The council can no longer share this resident's details (consent or agreement no longer in "
                "force), so the referral cannot be accepted.")
    return None


REFERRAL_GUARDS = {"still_shared": _still_shared}


def _transition(db: Session, user: Any, ref: Referral, action: str) -> str:
    """Check a VCS step (``REFERRAL``) and return the new status. Anyone outside the receiving organisation
    is told there is no such referral (ids cannot be probed)."""
    owners = {"receiver": [ref.vcs_org_id]}
    if not REFERRAL.may(user, action, owners):
        raise NotFound("There is no such referral in your organisation's inbox.")
    return REFERRAL.fire(action, ref.status, user, owners, REFERRAL_GUARDS, ref)


def accept(db: Session, user: Any, ref: Referral, note: str = "", now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    status = _transition(db, user, ref, "accept")
    ref.status, ref.accepted_at, ref.handled_by_id = status, now, getattr(user, "id", None)
    _event(ref, "accepted", user, note.strip() or None, now)
    referral_messages.update_for_referrer(db, ref, "accepted")
    audit.record(db, "support.referral.accept", actor=user, organisation_id=ref.vcs_org_id,
                 object_type="referral", object_id=ref.id, purpose=PURPOSE_READ)


def decline(db: Session, user: Any, ref: Referral, reason: str, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    status = _transition(db, user, ref, "decline")
    if not reason.strip():
        raise ValidationFailed("Enter the reason you are declining this referral.")
    ref.status, ref.declined_at, ref.closed_at = status, now, now
    ref.decline_reason = reason.strip()
    ref.handled_by_id = getattr(user, "id", None)
    _event(ref, "declined", user, reason.strip(), now)
    referral_messages.update_for_referrer(db, ref, "declined")
    audit.record(db, "support.referral.decline", actor=user, organisation_id=ref.vcs_org_id,
                 object_type="referral", object_id=ref.id, purpose=PURPOSE_READ)


def record_contact(db: Session, user: Any, ref: Referral, note: str, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    status = _transition(db, user, ref, "contact")
    if not note.strip():
        raise ValidationFailed("Say how you contacted the resident (for example 'Phoned, arranged a visit').")
    if ref.first_contact_at is None:
        ref.first_contact_at = now
    ref.status = status
    _event(ref, "contact", user, note.strip(), now)
    audit.record(db, "support.referral.contact", actor=user, organisation_id=ref.vcs_org_id,
                 object_type="referral", object_id=ref.id, purpose=PURPOSE_READ)


def record_outcome(db: Session, user: Any, ref: Referral, outcome: str, note: str = "",
                   now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    status = _transition(db, user, ref, "outcome")
    if outcome not in OUTCOMES:
        raise ValidationFailed("Choose an outcome from the list.")
    ref.status, ref.outcome, ref.outcome_at, ref.closed_at = status, outcome, now, now
    ref.outcome_note = note.strip() or None
    _event(ref, "outcome", user, OUTCOMES[outcome] + (f": {note.strip()}" if note.strip() else ""), now)
    referral_messages.update_for_referrer(db, ref, "outcome")
    audit.record(db, "support.referral.outcome", actor=user, organisation_id=ref.vcs_org_id,
                 object_type="referral", object_id=ref.id, purpose=PURPOSE_READ, detail={"outcome": outcome})


# ------------------------------------------------------------------------------- officer's side

def sent_by_council(db: Session, user: Any, council_id: int, *, resident_id: int | None = None,
                    limit: int = 200) -> list[Referral]:
    if not can(user, "support.referral.view_sent", council_id):
        raise PermissionDenied("You can only see your own council's referrals.")
    q = select(Referral).where(Referral.council_id == council_id)
    if resident_id is not None:
        q = q.where(Referral.resident_id == resident_id)
    return list(db.scalars(q.order_by(Referral.officer_unseen.desc(), Referral.sent_at.desc()).limit(limit)))


def mark_seen(ref: Referral) -> None:
    ref.officer_unseen = False


def stop_for_consent(db: Session, consent: Consent, actor: Any) -> int:
    """Withdraw every open referral that relied on this consent (called when consent is withdrawn)."""
    now = utcnow()
    n = 0
    for ref in db.scalars(select(Referral).where(Referral.consent_id == consent.id, Referral.status.in_(OPEN))):
        ref.status, ref.closed_at = REFERRAL.check("withdraw", ref.status, REFERRAL_GUARDS, ref), now
        ref.events.append(ReferralEvent(kind="withdrawn", at=now, actor_id=getattr(actor, "id", None),
                                        actor_org_id=consent.council_id,
                                        note="The resident withdrew consent: stop work and do not use their details."))
        ref.officer_unseen = True
        audit.record(db, "support.referral.withdraw", actor=actor, organisation_id=consent.council_id,
                     object_type="referral", object_id=ref.id, purpose="consent withdrawn")
        n += 1
    return n


def process_overdue(db: Session, now: dt.datetime | None = None) -> dict[str, int]:
    """Reminders for referrals waiting past the service's promise; a referral nobody has accepted by twice
    the promise goes back to the referring officer. Run it from a scheduler (``boroughs support referrals
    remind``); it is safe to run as often as you like."""
    now = now or utcnow()
    counts = {"reminded": 0, "returned": 0}
    for ref in db.scalars(select(Referral).where(Referral.status == "sent", Referral.respond_by < now)):
        promise = ref.respond_by - ref.sent_at
        if now >= ref.respond_by + promise:
            ref.status, ref.returned_at, ref.closed_at = REFERRAL.check("return", ref.status, REFERRAL_GUARDS,
                                                                        ref), now, now
            ref.events.append(ReferralEvent(kind="returned", at=now, note=(
                "Nobody accepted this referral in time, so it has come back to the referring officer.")))
            ref.officer_unseen = True
            audit.record(db, "support.referral.return", organisation_id=ref.council_id, object_type="referral",
                         object_id=ref.id, detail={"vcs_org_id": ref.vcs_org_id})
            referral_messages.update_for_referrer(db, ref, "returned")
            counts["returned"] += 1
        elif ref.reminded_at is None:
            ref.reminded_at = now
            ref.events.append(ReferralEvent(kind="reminder", at=now, note=(
                f"Reminder: waiting longer than the promised {promise.days} day(s) for a response.")))
            ref.officer_unseen = True
            referral_messages.reminder(db, ref)
            counts["reminded"] += 1
    db.flush()
    return counts


def overdue_for_org(db: Session, org_id: int, now: dt.datetime | None = None) -> int:
    now = now or utcnow()
    return int(db.scalar(select(func.count()).select_from(Referral).where(
        Referral.vcs_org_id == org_id, Referral.status == "sent", Referral.respond_by < now)) or 0)


# ----------------------------------------------------------------------------------- share log

def shares_for_resident(db: Session, resident_id: int) -> list[dict[str, Any]]:
    """Every share of this resident's data: when, with whom, under which agreement and basis, for what
    purpose, which fields, and what became of the referral. For the resident view and subject access."""
    rows = db.execute(
        select(Share, Organisation.name, Referral.reference, Referral.status)
        .join(Organisation, Organisation.id == Share.recipient_org_id)
        .outerjoin(Referral, Referral.id == Share.referral_id)
        .where(Share.resident_id == resident_id).order_by(Share.at)
    ).all()
    agreements = governance.agreement_references(db, {s.agreement_id for s, *_ in rows})
    labels = governance.FIELDS
    return [{
        "at": s.at.isoformat(),
        "recipient": org_name,
        "recipient_org_id": s.recipient_org_id,
        "agreement": agreements[s.agreement_id],
        "lawful_basis": s.lawful_basis,
        "purpose": s.purpose_key,
        "fields": [labels.get(f, f) for f in s.fields],
        "referral": ref_ref,
        "referral_status": STATUS_LABELS.get(status, status) if status else "deleted under retention",
        "consent_id": s.consent_id,
    } for s, org_name, ref_ref, status in rows if s.agreement_id in agreements]


# ----------------------------------------------------------------------------------- reporting

def _hours(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return (b - a).total_seconds() / 3600


def partnership_report(db: Session, *, vcs_org_id: int | None = None, council_id: int | None = None,
                       start: dt.date | None = None, end: dt.date | None = None) -> list[dict[str, Any]]:
    """Per service: referrals received, accepted, declined, returned, median and 90th-percentile hours to
    first contact, and counts of each outcome. Filter by provider, referring council and send date."""
    q = select(Referral.service_id, Referral.status, Referral.sent_at, Referral.accepted_at,
               Referral.first_contact_at, Referral.outcome)
    if vcs_org_id is not None:
        q = q.where(Referral.vcs_org_id == vcs_org_id)
    if council_id is not None:
        q = q.where(Referral.council_id == council_id)
    if start is not None:
        q = q.where(Referral.sent_at >= dt.datetime.combine(start, dt.time(), dt.UTC))
    if end is not None:
        q = q.where(Referral.sent_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC))
    per: dict[int, dict[str, Any]] = {}
    for sid, status, sent, accepted, contact, outcome in db.execute(q):
        row = per.setdefault(sid, {"received": 0, "accepted": 0, "declined": 0, "returned": 0, "withdrawn": 0,
                                   "open": 0, "_contact": [], **{f"outcome_{k}": 0 for k in OUTCOMES}})
        row["received"] += 1
        if accepted is not None:
            row["accepted"] += 1
        if status in ("declined", "returned", "withdrawn"):
            row[status] += 1
        if status in OPEN:
            row["open"] += 1
        h = _hours(sent, contact)
        if h is not None:
            row["_contact"].append(h)
        if outcome:
            row[f"outcome_{outcome}"] += 1
    out = []
    services = services_by_id(db, per)
    for sid, row in per.items():
        svc = services.get(sid)
        hours = sorted(row.pop("_contact"))
        out.append({
            "organisation": svc.organisation.name if svc else "",
            "service": svc.name if svc else f"service {sid}",
            **row,
            "acceptance_rate": round(row["accepted"] / row["received"], 3) if row["received"] else None,
            "median_hours_to_first_contact": round(statistics.median(hours), 1) if hours else None,
            "p90_hours_to_first_contact": round(hours[min(len(hours) - 1, int(0.9 * len(hours)))], 1) if hours else None,
        })
    out.sort(key=lambda r: (r["organisation"], r["service"]))
    return out


REPORT_COLUMNS = ["organisation", "service", "received", "accepted", "declined", "returned", "withdrawn", "open",
                  "acceptance_rate", "median_hours_to_first_contact", "p90_hours_to_first_contact",
                  *[f"outcome_{k}" for k in OUTCOMES]]


def report_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=REPORT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(safe_row(r))
    return buf.getvalue()


@dataclass
class CaseReferral:
    """A referral as the outreach case page shows it: where it went, where it stands, what the partner reported."""

    id: int
    reference: str
    service: str
    organisation: str
    status: str
    outcome: str | None
    outcome_note: str | None
    sent_at: dt.datetime
    outcome_at: dt.datetime | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def outcome_label(self) -> str | None:
        return OUTCOMES.get(self.outcome, self.outcome) if self.outcome else None


def referrals_for_case(db: Session, council_id: int, case_id: int, resident_id: int) -> list[CaseReferral]:
    """The referrals made from this outreach case (or, when sent without a case, for its resident), newest
    first, with the outcome each VCS partner reported (issue 17)."""
    rows = db.execute(
        select(Referral, Organisation.name)
        .join(Organisation, Organisation.id == Referral.vcs_org_id)
        .where(Referral.council_id == council_id,
               (Referral.outreach_case_id == case_id)
               | ((Referral.outreach_case_id.is_(None)) & (Referral.resident_id == resident_id)))
        .order_by(Referral.sent_at.desc(), Referral.id.desc())
    ).all()
    services = service_names(db, {r.service_id for r, _ in rows})
    return [CaseReferral(r.id, r.reference, services[r.service_id], org, r.status, r.outcome, r.outcome_note,
                         r.sent_at, r.outcome_at) for r, org in rows if r.service_id in services]


# The outreach case page lists the referrals made from the case (outreach knows nothing of referrals).
outreach_service.CASE_REFERRALS.append(referrals_for_case)
governance.ON_CONSENT_WITHDRAWN.append(stop_for_consent)  # open referrals stop when consent is withdrawn
