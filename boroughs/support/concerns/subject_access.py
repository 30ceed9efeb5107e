"""What concerns hold on a resident, for subject access: the concerns raised about them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.support.concerns.models import Concern
from boroughs.support.governance.subject_access import Section, plain, register_section


def _concerns(db: Session, resident_id: int) -> list[dict[str, Any]]:
    return [plain(c, skip=("source_hash",)) for c in db.scalars(
        select(Concern).where(Concern.resident_id == resident_id).order_by(Concern.id))]


register_section(Section("concerns", ("support_concern",), _concerns, position=60))
