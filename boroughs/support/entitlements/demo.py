"""Demo take-up campaign for Newham and Hackney (SYNTHETIC residents): estimates, assigned cases, outcomes.

Idempotent: a council that already has estimates is left as it is.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boroughs.core.models import Organisation, User
from boroughs.support.entitlements import campaign
from boroughs.support.entitlements.models import EntitlementEstimate
from boroughs.support.outreach import service as outreach

DEMO_COUNCILS = ("newham", "hackney")
# (outcome, awarded as a share of the estimate): what officers recorded on the first cases, for the demo
DEMO_OUTCOMES = (("awarded", 1.0), ("awarded", 0.85), ("claim_made", None), ("not_eligible", None))


def seed_demo_entitlements(db: Session) -> dict[str, int]:
    done = {"estimates": 0, "outcomes": 0}
    for slug in DEMO_COUNCILS:
        org = db.scalar(select(Organisation).where(Organisation.slug == slug))
        if org is None or db.scalar(select(func.count()).select_from(EntitlementEstimate)
                                    .where(EntitlementEstimate.organisation_id == org.id)):
            continue
        manager = db.scalar(select(User).where(User.email == f"manager@{slug}.demo.boroughs.test"))
        officer = db.scalar(select(User).where(User.email == f"officer@{slug}.demo.boroughs.test"))
        result = campaign.refresh(db, org.id, manager)
        done["estimates"] += result.current
        rows, _ = campaign.worklist(db, org.id)
        if officer is None or manager is None:
            continue
        cases = list(dict.fromkeys(r.case_id for r in rows[:8] if r.case_id))  # a household can have two rows
        outreach.bulk_assign(db, org.id, cases, officer.id, manager)
        for r, (outcome, share) in zip(rows, DEMO_OUTCOMES, strict=False):
            est = campaign.get_estimate(db, org.id, r.estimate_id)
            awarded = round(est.weekly_amount * share, 2) if share else None
            campaign.record_outcome(db, est, officer, outcome=outcome, awarded_weekly=awarded,
                                    note="SYNTHETIC demo outcome")
            done["outcomes"] += 1
    return done
