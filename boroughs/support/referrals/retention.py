"""Retention: delete or anonymise referral data whose retention period (per agreement purpose) has passed.

A referral's clock starts when it closes (declined, outcome recorded, returned or withdrawn). When
``closed_at + purpose.retention_days`` is before ``now`` the agreement's ``retention_action`` applies:

- ``anonymise``: the shared resident details, free-text notes and reasons are removed; the counts and dates
  the partnership reports need stay;
- ``delete``: the referral and its timeline are deleted (the share log keeps who received which fields,
  which the council must be able to say for subject access).

Every action is written to ``support_retention_log`` and the audit trail. Open referrals are never touched.
Run it daily (``boroughs support referrals retention``). It is one of the retention policies that
:func:`boroughs.support.governance.retention.run_retention` applies.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.support.governance.retention import POLICIES, RetentionResult
from boroughs.support.governance.service import retention_terms
from boroughs.support.referrals.models import Referral, RetentionLog
from boroughs.support.referrals.service import TERMINAL


def due(ref: Referral, retention_days: int, now: dt.datetime) -> bool:
    """Whether a referral's retention period has passed (a pure rule the property tests exercise)."""
    return (ref.status in TERMINAL and ref.closed_at is not None and ref.anonymised_at is None
            and ref.closed_at + dt.timedelta(days=retention_days) < now)


def referral_retention(db: Session, now: dt.datetime, result: RetentionResult, *, dry_run: bool,
                       council_id: int | None, actor: object) -> None:
    """Delete or anonymise the closed referrals (``council_id``: of that council only) past retention."""
    terms = retention_terms(db)
    q = select(Referral).where(Referral.status.in_(TERMINAL), Referral.closed_at.is_not(None),
                               Referral.anonymised_at.is_(None)).order_by(Referral.id)
    if council_id is not None:
        q = q.where(Referral.council_id == council_id)
    for ref in list(db.scalars(q)):
        term = terms.get((ref.agreement_id, ref.purpose_key))
        if term is None or not due(ref, term.retention_days, now):
            continue
        fields = sorted(ref.shared or {})
        if dry_run:
            (result.deleted if term.action == "delete" else result.anonymised).append(ref.reference)
            continue
        if term.action == "delete":
            db.add(RetentionLog(at=now, referral_reference=ref.reference, agreement_id=term.agreement_id,
                                action="deleted", fields=fields))
            audit.record(db, "support.retention.delete", actor=actor, organisation_id=ref.council_id, object_type="referral",
                         object_id=ref.id, purpose="retention period passed",
                         detail={"reference": ref.reference, "agreement": term.agreement_reference})
            db.delete(ref)
            result.deleted.append(ref.reference)
        else:
            ref.shared = {}
            ref.decline_reason = "(removed under retention)" if ref.decline_reason else None
            ref.outcome_note = None
            for e in ref.events:
                e.note = None
            ref.anonymised_at = now
            db.add(RetentionLog(at=now, referral_reference=ref.reference, agreement_id=term.agreement_id,
                                action="anonymised", fields=fields))
            audit.record(db, "support.retention.anonymise", actor=actor, organisation_id=ref.council_id,
                         object_type="referral", object_id=ref.id, purpose="retention period passed",
                         detail={"reference": ref.reference, "agreement": term.agreement_reference})
            result.anonymised.append(ref.reference)


POLICIES.append(referral_retention)
