"""Outreach tables: cases made from flags, their assignment, contacts, needs, notes and messages.

``OutreachCase`` (``support_outreach_case``) is the object referrals (issue 7) start from: a resident of a
council, the flags that opened it, who it is assigned to, its status and its assessed needs. Use the
functions in ``boroughs.support.outreach.service`` rather than writing these tables directly.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from boroughs.core.db import Base, UTCDateTime, utcnow


class OutreachCase(Base):
    __tablename__ = "support_outreach_case"
    __table_args__ = (
        Index("ix_support_outreach_case_worklist", "organisation_id", "status", "priority"),
        Index("ix_support_outreach_case_assignee", "assigned_to_id", "status"),
        Index("ix_support_outreach_case_resident", "organisation_id", "resident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("support_resident.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, in_progress, closed
    severity: Mapped[str] = mapped_column(String(10))
    priority: Mapped[int] = mapped_column(Integer)  # higher first
    rule_ids: Mapped[list] = mapped_column(JSON, default=list)
    flag_run_id: Mapped[int | None] = mapped_column(ForeignKey("support_flag_run.id"))
    ward_name: Mapped[str | None] = mapped_column(String(120))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    follow_up_on: Mapped[dt.date | None] = mapped_column(Date)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    first_contact_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reached_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closing_reason: Mapped[str | None] = mapped_column(String(40))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))

    contacts: Mapped[list[ContactAttempt]] = relationship(order_by="ContactAttempt.at", cascade="all, delete-orphan")
    needs: Mapped[list[CaseNeed]] = relationship(order_by="CaseNeed.id", cascade="all, delete-orphan")
    notes: Mapped[list[CaseNote]] = relationship(order_by="CaseNote.at", cascade="all, delete-orphan")
    assignments: Mapped[list[CaseAssignment]] = relationship(order_by="CaseAssignment.at",
                                                             cascade="all, delete-orphan")


class CaseAssignment(Base):
    """Every assignment and reassignment, kept."""

    __tablename__ = "support_case_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_outreach_case.id", ondelete="CASCADE"), index=True)
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContactAttempt(Base):
    __tablename__ = "support_contact_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_outreach_case.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # phone, letter, email, sms, visit
    outcome: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("support_notification.id"))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseNeed(Base):
    """A need found in the needs assessment (vocabulary in ``records.needs.NEEDS``)."""

    __tablename__ = "support_case_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_outreach_case.id", ondelete="CASCADE"), index=True)
    need: Mapped[str] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(10))  # urgent, moderate, low
    detail: Mapped[str | None] = mapped_column(Text)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseNote(Base):
    __tablename__ = "support_case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_outreach_case.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Notification(Base):
    """A message sent to a resident through the notification backend (GOV.UK Notify or local)."""

    __tablename__ = "support_notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("support_outreach_case.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(10))  # email, sms, letter
    template: Mapped[str] = mapped_column(String(60))
    backend: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(100))  # the backend's id for the message
    status: Mapped[str] = mapped_column(String(20))  # sent, failed
    error: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict | None] = mapped_column(JSON)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
