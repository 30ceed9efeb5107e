"""What benefit take-up holds on a resident, for subject access: the estimates made and the outcomes
recorded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.support.entitlements.models import EntitlementEstimate, EntitlementOutcome
from boroughs.support.governance.subject_access import Section, plain, register_section


def _take_up(db: Session, resident_id: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "estimates": [plain(e) for e in db.scalars(select(EntitlementEstimate).where(
            EntitlementEstimate.resident_id == resident_id).order_by(EntitlementEstimate.id))],
        "outcomes": [plain(o) for o in db.scalars(select(EntitlementOutcome).where(
            EntitlementOutcome.resident_id == resident_id).order_by(EntitlementOutcome.id))]}


register_section(Section("benefit_take_up", ("support_entitlement_estimate", "support_entitlement_outcome"),
                         _take_up, position=70))
