"""Referral tables: a referral conversation (one resident, several services), each referral with its
minimised payload and lifecycle, the event timeline both sides see, the share log, and the retention log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from boroughs.core.db import Base, UTCDateTime, utcnow


class ReferralBatch(Base):
    """One conversation with a resident that led to referrals to one or more services."""

    __tablename__ = "support_referral_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("support_resident.id"), index=True)
    outreach_case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    referrals: Mapped[list[Referral]] = relationship(back_populates="batch", order_by="Referral.id")


class Referral(Base):
    __tablename__ = "support_referral"
    __table_args__ = (
        # covering the inbox's sort, so a page's ids come from an index-only scan (see ``referral.inbox``)
        Index("ix_support_referral_vcs_status_sent_id", "vcs_org_id", "status", "sent_at", "id"),
        Index("ix_support_referral_vcs_sent_id", "vcs_org_id", "sent_at", "id"),
        Index("ix_support_referral_council_resident", "council_id", "resident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("support_referral_batch.id"), index=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("support_resident.id"))
    outreach_case_id: Mapped[int | None] = mapped_column(Integer)
    service_id: Mapped[int] = mapped_column(ForeignKey("support_dir_service.id"), index=True)
    vcs_org_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("support_agreement.id"), index=True)
    purpose_key: Mapped[str] = mapped_column(String(60))
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("support_consent.id"))
    # the minimised data actually shared: field -> value (emptied by retention)
    shared: Mapped[dict] = mapped_column(JSON)
    shared_fields: Mapped[list[str]] = mapped_column(JSON)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="sent")
    decline_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(30))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    respond_by: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    declined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    first_contact_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    outcome_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    returned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    officer_unseen: Mapped[bool] = mapped_column(Boolean, default=False)
    retained_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    batch: Mapped[ReferralBatch] = relationship(back_populates="referrals")
    events: Mapped[list[ReferralEvent]] = relationship(back_populates="referral", order_by="ReferralEvent.id",
                                                       cascade="all, delete-orphan")


class ReferralEvent(Base):
    __tablename__ = "support_referral_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("support_referral.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("core_organisation.id"))
    note: Mapped[str | None] = mapped_column(Text)

    referral: Mapped[Referral] = relationship(back_populates="events")


class Share(Base):
    """Every disclosure of a resident's data to another organisation: what, to whom, under what, why."""

    __tablename__ = "support_share"
    __table_args__ = (Index("ix_support_share_resident", "council_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    council_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("support_resident.id"))
    recipient_org_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("support_agreement.id"))
    purpose_key: Mapped[str] = mapped_column(String(60))
    lawful_basis: Mapped[str] = mapped_column(String(200))
    fields: Mapped[list[str]] = mapped_column(JSON)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("support_referral.id", ondelete="SET NULL"))
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("support_consent.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))


class RetentionLog(Base):
    __tablename__ = "support_retention_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    referral_reference: Mapped[str] = mapped_column(String(20))
    agreement_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # anonymised | deleted
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
