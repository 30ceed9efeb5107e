"""The take-up estimate as a fact a referral can share (``governance.FIELDS["benefit_estimate"]``), under an
agreement whose purpose lists it — e.g. referring a resident to an advice service that helps them claim."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.support.entitlements.estimator import BENEFIT_NAMES
from boroughs.support.entitlements.models import EntitlementEstimate
from boroughs.support.referrals.service import FACT_PROVIDERS

FIELD = "benefit_estimate"


def benefit_estimate(db: Session, resident_id: int) -> str | None:
    """The resident's current estimates, largest first, in plain words (None when there is none)."""
    rows = db.scalars(select(EntitlementEstimate).where(EntitlementEstimate.resident_id == resident_id,
                                                        EntitlementEstimate.current.is_(True))
                      .order_by(EntitlementEstimate.weekly_amount.desc(), EntitlementEstimate.id)).all()
    if not rows:
        return None
    parts = [f"{BENEFIT_NAMES.get(e.benefit, e.benefit)}: about £{e.weekly_amount:,.2f} a week ({e.likelihood}, "
             f"{e.rates_year} rates)" for e in rows]
    return "; ".join(parts) + ". An estimate from the council's records, not a decision."


FACT_PROVIDERS[FIELD] = benefit_estimate
