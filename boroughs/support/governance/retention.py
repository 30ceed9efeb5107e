"""Retention: delete or anonymise referral data whose retention period (per agreement purpose) has passed.

A referral's clock starts when it closes (declined, outcome recorded, returned or withdrawn). When
``closed_at + purpose.retention_days`` is before ``now`` the agreement's ``retention_action`` applies:

- ``anonymise``: the shared resident details, free-text notes and reasons are removed; the counts and dates
  the partnership reports need stay;
- ``delete``: the referral and its timeline are deleted (the share log keeps who received which fields,
  which the council must be able to say for subject access).

Every action is written to ``support_retention_log`` and the audit trail. Open referrals are never touched.
Run it daily (``boroughs support referrals retention``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.db import utcnow
from boroughs.support.governance.models import Agreement, AgreementPurpose
from boroughs.support.referrals.models import Referral, RetentionLog
from boroughs.support.referrals.service import TERMINAL


@dataclass
class RetentionResult:
    anonymised: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def due(ref: Referral, retention_days: int, now: dt.datetime) -> bool:
    """Whether a referral's retention period has passed (a pure rule the property tests exercise)."""
    return (ref.status in TERMINAL and ref.closed_at is not None and ref.anonymised_at is None
            and ref.closed_at + dt.timedelta(days=retention_days) < now)


def run_retention(db: Session, now: dt.datetime | None = None, *, dry_run: bool = False,
                  council_id: int | None = None, actor: object = None) -> RetentionResult:
    """Apply retention (``council_id``: only that council's referrals, as its information governance
    officer does from the web; ``actor``: who ran it, for the audit trail)."""
    now = now or utcnow()
    result = RetentionResult()
    purposes = {(p.agreement_id, p.key): p for p in db.scalars(select(AgreementPurpose))}
    agreements = {a.id: a for a in db.scalars(select(Agreement))}
    q = select(Referral).where(Referral.status.in_(TERMINAL), Referral.closed_at.is_not(None),
                               Referral.anonymised_at.is_(None)).order_by(Referral.id)
    if council_id is not None:
        q = q.where(Referral.council_id == council_id)
    for ref in list(db.scalars(q)):
        purpose = purposes.get((ref.agreement_id, ref.purpose_key))
        agreement = agreements.get(ref.agreement_id)
        if purpose is None or agreement is None or not due(ref, purpose.retention_days, now):
            continue
        fields = sorted(ref.shared or {})
        if dry_run:
            (result.deleted if agreement.retention_action == "delete" else result.anonymised).append(ref.reference)
            continue
        if agreement.retention_action == "delete":
            db.add(RetentionLog(at=now, referral_reference=ref.reference, agreement_id=agreement.id,
                                action="deleted", fields=fields))
            audit.record(db, "support.retention.delete", actor=actor, organisation_id=ref.council_id, object_type="referral",
                         object_id=ref.id, purpose="retention period passed",
                         detail={"reference": ref.reference, "agreement": agreement.reference})
            db.delete(ref)
            result.deleted.append(ref.reference)
        else:
            ref.shared = {}
            ref.decline_reason = "(removed under retention)" if ref.decline_reason else None
            ref.outcome_note = None
            for e in ref.events:
                e.note = None
            ref.anonymised_at = now
            db.add(RetentionLog(at=now, referral_reference=ref.reference, agreement_id=agreement.id,
                                action="anonymised", fields=fields))
            audit.record(db, "support.retention.anonymise", actor=actor, organisation_id=ref.council_id,
                         object_type="referral", object_id=ref.id, purpose="retention period passed",
                         detail={"reference": ref.reference, "agreement": agreement.reference})
            result.anonymised.append(ref.reference)
    db.flush()
    return result
