"""What outreach holds on a resident, for subject access: their cases (needs, contacts, notes,
assignments) and the messages sent to them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.support.governance.subject_access import Section, plain, register_section
from boroughs.support.outreach.models import Notification, OutreachCase


def _cases(db: Session, resident_id: int) -> list[OutreachCase]:
    return list(db.scalars(select(OutreachCase).where(OutreachCase.resident_id == resident_id)
                           .order_by(OutreachCase.id)))


def _outreach_cases(db: Session, resident_id: int) -> list[dict[str, Any]]:
    return [{**plain(c), "needs": [plain(n) for n in c.needs], "contacts": [plain(x) for x in c.contacts],
             "notes": [plain(x) for x in c.notes], "assignments": [plain(x) for x in c.assignments]}
            for c in _cases(db, resident_id)]


def _notifications(db: Session, resident_id: int) -> list[dict[str, Any]]:
    case_ids = [c.id for c in _cases(db, resident_id)]
    if not case_ids:
        return []
    return [plain(n) for n in db.scalars(select(Notification).where(Notification.case_id.in_(case_ids))
                                         .order_by(Notification.id))]


def _audited(db: Session, resident_id: int) -> dict[str, list[str]]:
    return {"outreach_case": [str(c.id) for c in _cases(db, resident_id)]}


register_section(Section("outreach_cases", ("support_outreach_case", "support_case_assignment", "support_case_need",
                                            "support_case_note", "support_contact_attempt"),
                         _outreach_cases, position=30, audited=_audited))
register_section(Section("notifications", ("support_notification",), _notifications, position=40))
