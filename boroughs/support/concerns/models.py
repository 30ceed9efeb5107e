"""Concerns raised through the web (issue 17): by a signed-in VCS partner, or by a resident (or someone on
their behalf) through the public form. Each lands in the council's queue (``support_concern``), is
acknowledged with a reference and is audited. Use ``boroughs.support.concerns.service`` to write it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from boroughs.core.db import Base, UTCDateTime, utcnow


class Concern(Base):
    __tablename__ = "support_concern"
    __table_args__ = (
        Index("ix_support_concern_council_status", "council_id", "status", "created_at"),
        Index("ix_support_concern_source_at", "source_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # "vcs" (signed-in partner) or "public"
    raised_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("core_organisation.id"))
    raised_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    # who the concern is about
    about_self: Mapped[bool] = mapped_column(Boolean, default=False)
    about_name: Mapped[str] = mapped_column(String(200))
    about_address: Mapped[str | None] = mapped_column(String(300))
    about_postcode: Mapped[str | None] = mapped_column(String(12))
    about_phone: Mapped[str | None] = mapped_column(String(40))
    about_email: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    # who raised it, for a public concern raised on someone else's behalf (and how to reply)
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_contact: Mapped[str | None] = mapped_column(String(200))
    knows_about_it: Mapped[bool | None] = mapped_column(Boolean)  # the person knows the concern is raised
    status: Mapped[str] = mapped_column(String(20), default="new")  # new, in_review, closed
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("support_resident.id", ondelete="SET NULL"),
                                                   index=True)
    outcome_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # a keyed hash of the sender's address, for the public form's rate limit (never the address itself)
    source_hash: Mapped[str | None] = mapped_column(String(64))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
