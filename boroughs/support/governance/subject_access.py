"""Subject access: everything the platform holds on one resident, including who it was shared with.

What "everything" means is checked: ``COVERAGE`` names the section covering each table about residents, and
a test compares it with ``personal_data_tables`` (derived from the models' metadata).

``boroughs support sar --council newham --resident 123 --out FILE.json``. The export says when data is
synthetic. Producing it is itself audited (purpose: subject access request).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound
from boroughs.core.models import AuditEvent, Organisation
from boroughs.support.governance.models import Consent
from boroughs.support.referrals.models import Referral
from boroughs.support.referrals.service import STATUS_LABELS, shares_for_resident


def _plain(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out = {}
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key in skip:
            continue
        v = getattr(obj, attr.key)
        if isinstance(v, (dt.date, dt.datetime)):
            v = v.isoformat()
        elif isinstance(v, decimal.Decimal):
            v = float(v)
        out[attr.key] = v
    return out


# Every table holding data about a resident, and the section of the export that covers it (issue 17).
# ``personal_data_tables`` derives the list from the models' metadata; a test fails when the two disagree,
# so a new table about residents cannot be left out of subject access.
COVERAGE: dict[str, str] = {
    "support_resident": "resident",
    "support_resident_record": "source_records",
    "support_source_record": "source_records",
    "support_record_event": "record_histories",
    "support_link_pair": "linkage_evidence",
    "support_review_decision": "linkage_review_decisions",
    "support_flag": "flags",
    "support_opt_out": "opt_outs",
    "support_outreach_case": "outreach_cases",
    "support_case_assignment": "outreach_cases",
    "support_case_need": "outreach_cases",
    "support_case_note": "outreach_cases",
    "support_contact_attempt": "outreach_cases",
    "support_notification": "notifications",
    "support_consent": "consents",
    "support_referral_batch": "referral_batches",
    "support_referral": "referrals",
    "support_referral_event": "referrals",
    "support_share": "shared_with",
    "support_concern": "concerns",
    "support_entitlement_estimate": "benefit_take_up",
    "support_entitlement_outcome": "benefit_take_up",
}
PERSON_ROOTS = ("support_resident", "support_source_record")


def personal_data_tables(metadata: Any) -> set[str]:
    """Tables about residents: the resident and source-record tables, every table with a ``resident_id``,
    and every table that refers (by foreign key, at any depth) to one of those."""
    tables = metadata.tables
    found = {t for t in PERSON_ROOTS if t in tables}
    changed = True
    while changed:
        changed = False
        for t in tables.values():
            if t.name in found:
                continue
            refers = {fk.column.table.name for fk in t.foreign_keys}
            if refers & found or "resident_id" in t.columns:
                found.add(t.name)
                changed = True
    return found


def _linked_records(db: Session, resident_id: int) -> list[Any]:
    from boroughs.support.records.models import ResidentRecord, SourceRecord

    return list(db.scalars(select(SourceRecord).join(ResidentRecord, ResidentRecord.source_record_id == SourceRecord.id)
                           .where(ResidentRecord.resident_id == resident_id).order_by(SourceRecord.id)))


def _sections(db: Session, resident_id: int) -> dict[str, Any]:
    from boroughs.support.concerns.models import Concern
    from boroughs.support.entitlements.models import EntitlementEstimate, EntitlementOutcome
    from boroughs.support.outreach.models import Notification, OutreachCase
    from boroughs.support.records.models import LinkPair, RecordEvent, ResidentRecord, ReviewDecision
    from boroughs.support.referrals.models import ReferralBatch
    from boroughs.support.rules.models import FlagRecord, OptOut

    records = _linked_records(db, resident_id)
    record_ids = [r.id for r in records]
    links = {x.source_record_id: x for x in db.scalars(select(ResidentRecord)
                                                       .where(ResidentRecord.resident_id == resident_id))}
    either = (or_(LinkPair.record_a_id.in_(record_ids), LinkPair.record_b_id.in_(record_ids)) if record_ids
              else LinkPair.id.is_(None))
    decided = (or_(ReviewDecision.record_a_id.in_(record_ids), ReviewDecision.record_b_id.in_(record_ids))
               if record_ids else ReviewDecision.id.is_(None))
    cases = list(db.scalars(select(OutreachCase).where(OutreachCase.resident_id == resident_id)
                            .order_by(OutreachCase.id)))
    case_ids = [c.id for c in cases]
    return {
        "source_records": [{**_plain(r), "match_probability": getattr(links.get(r.id), "match_probability", None)}
                           for r in records],
        "record_histories": [_plain(e) for e in db.scalars(
            select(RecordEvent).where(RecordEvent.source_record_id.in_(record_ids))
            .order_by(RecordEvent.source_record_id, RecordEvent.event_date, RecordEvent.id))] if record_ids else [],
        "linkage_evidence": [_plain(p) for p in db.scalars(select(LinkPair).where(either).order_by(LinkPair.id))],
        "linkage_review_decisions": [_plain(d) for d in db.scalars(
            select(ReviewDecision).where(decided).order_by(ReviewDecision.id))],
        "flags": [_plain(f) for f in db.scalars(select(FlagRecord).where(FlagRecord.resident_id == resident_id)
                                                .order_by(FlagRecord.id))],
        "opt_outs": [_plain(o) for o in db.scalars(select(OptOut).where(OptOut.resident_id == resident_id)
                                                   .order_by(OptOut.id))],
        "outreach_cases": [{**_plain(c), "needs": [_plain(n) for n in c.needs],
                            "contacts": [_plain(x) for x in c.contacts], "notes": [_plain(x) for x in c.notes],
                            "assignments": [_plain(x) for x in c.assignments]} for c in cases],
        "notifications": [_plain(n) for n in db.scalars(
            select(Notification).where(Notification.case_id.in_(case_ids)).order_by(Notification.id))]
        if case_ids else [],
        "referral_batches": [_plain(b) for b in db.scalars(
            select(ReferralBatch).where(ReferralBatch.resident_id == resident_id).order_by(ReferralBatch.id))],
        "concerns": [_plain(c, skip=("source_hash",)) for c in db.scalars(
            select(Concern).where(Concern.resident_id == resident_id).order_by(Concern.id))],
        "benefit_take_up": {
            "estimates": [_plain(e) for e in db.scalars(select(EntitlementEstimate).where(
                EntitlementEstimate.resident_id == resident_id).order_by(EntitlementEstimate.id))],
            "outcomes": [_plain(o) for o in db.scalars(select(EntitlementOutcome).where(
                EntitlementOutcome.resident_id == resident_id).order_by(EntitlementOutcome.id))]},
    }


def subject_access_export(db: Session, council_id: int, resident_id: int, actor: Any = None) -> dict[str, Any]:
    from boroughs.support.records.models import Resident

    resident = db.get(Resident, resident_id)
    if resident is None or resident.organisation_id != council_id:
        raise NotFound("That council holds no resident with that id.")
    council = db.get(Organisation, council_id)
    referrals = db.scalars(select(Referral).where(Referral.resident_id == resident_id).order_by(Referral.id)).all()
    consents = db.scalars(select(Consent).where(Consent.resident_id == resident_id).order_by(Consent.id)).all()
    orgs = {o.id: o.name for o in db.scalars(select(Organisation))}
    sections = _sections(db, resident_id)
    case_ids = [str(c["id"]) for c in sections["outreach_cases"]]
    reads = db.scalars(select(AuditEvent).where(or_(
        and_(AuditEvent.object_type.in_(("resident", "support_resident")), AuditEvent.object_id == str(resident_id)),
        and_(AuditEvent.object_type == "referral", AuditEvent.object_id.in_([str(r.id) for r in referrals])),
        and_(AuditEvent.object_type == "outreach_case", AuditEvent.object_id.in_(case_ids)),
    )).order_by(AuditEvent.id)).all()
    doc: dict[str, Any] = {
        "about": "Subject access request export from Boroughs",
        "synthetic": bool(resident.synthetic),
        "synthetic_note": ("SYNTHETIC: this resident was invented by the software; not a real person."
                           if resident.synthetic else None),
        "generated_at": utcnow().isoformat(),
        "controller": council.name if council else str(council_id),
        "covers": sorted(COVERAGE),
        "resident": _plain(resident),
        **sections,
        "consents": [_plain(c) for c in consents],
        "referrals": [{
            **_plain(r), "status_label": STATUS_LABELS.get(r.status, r.status),
            "recipient": orgs.get(r.vcs_org_id),
            "timeline": [{"at": e.at.isoformat(), "kind": e.kind, "by": orgs.get(e.actor_org_id or 0),
                          "note": e.note} for e in r.events],
        } for r in referrals],
        "shared_with": shares_for_resident(db, resident_id),
        "access_log": [{"at": e.at.isoformat(), "action": e.action, "by": e.actor_email,
                        "organisation": orgs.get(e.organisation_id or 0), "purpose": e.purpose}
                       for e in reads],
    }
    audit.record(db, "support.resident.sar", actor=actor, organisation_id=council_id, object_type="resident",
                 object_id=resident_id, purpose="subject access request")
    return doc
