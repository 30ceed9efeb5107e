"""The outbox: one row per message to send, written in the same transaction as the change it reports, and
one row per delivery attempt."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from boroughs.core.db import Base, UTCDateTime, utcnow

STATUSES = ("queued", "sending", "retrying", "delivered", "failed")
STATUS_LABELS = {"queued": "Waiting to send", "sending": "Sending", "retrying": "Will try again",
                 "delivered": "Delivered", "failed": "Failed"}


class OutboxMessage(Base):
    """A message to one person. ``subject`` and ``body`` are rendered when the change is made;
    ``personalisation`` carries the same values for GOV.UK Notify templates."""

    __tablename__ = "core_outbox_message"
    __table_args__ = (Index("ix_core_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The recipient's organisation: its administrators see the message's delivery on the admin page.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("core_organisation.id", ondelete="SET NULL"),
                                                        index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    template: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(10), default="email")  # email | sms
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    personalisation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reference: Mapped[str | None] = mapped_column(String(120))
    # Set for messages that must go only once (a reminder per report and recipient, ...).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    backend: Mapped[str | None] = mapped_column(String(20))
    provider_id: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    attempt_log: Mapped[list[OutboxAttempt]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="OutboxAttempt.id")


class OutboxAttempt(Base):
    """One try at sending a message, and what the backend answered."""

    __tablename__ = "core_outbox_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("core_outbox_message.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    backend: Mapped[str] = mapped_column(String(20))
    ok: Mapped[bool] = mapped_column(Boolean)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    provider_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)

    message: Mapped[OutboxMessage] = relationship(back_populates="attempt_log")
