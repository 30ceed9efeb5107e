"""What the early-warning rules hold on a resident, for subject access: their flags and objections."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.support.governance.subject_access import Section, plain, register_section
from boroughs.support.rules.models import FlagRecord, OptOut


def _flags(db: Session, resident_id: int) -> list[dict[str, Any]]:
    return [plain(f) for f in db.scalars(select(FlagRecord).where(FlagRecord.resident_id == resident_id)
                                         .order_by(FlagRecord.id))]


def _opt_outs(db: Session, resident_id: int) -> list[dict[str, Any]]:
    return [plain(o) for o in db.scalars(select(OptOut).where(OptOut.resident_id == resident_id).order_by(OptOut.id))]


register_section(Section("flags", ("support_flag",), _flags, position=10))
register_section(Section("opt_outs", ("support_opt_out",), _opt_outs, position=20))
