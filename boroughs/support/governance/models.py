"""Information governance as data: data sharing agreements (parties, purposes, lawful bases, fields per
purpose, retention, dates) and residents' consents.

These belong in ``core`` by the design (every area shares information governance); they live in the
support area until the core owner moves them (the public functions are in ``boroughs.support.governance.service``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from boroughs.core.db import Base, UTCDateTime, utcnow


class Agreement(Base):
    __tablename__ = "support_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    # UK GDPR Article 6(1) basis: a consent, b contract, c legal obligation, d vital interests,
    # e public task, f legitimate interests
    art6_basis: Mapped[str] = mapped_column(String(1))
    art6_detail: Mapped[str] = mapped_column(Text, default="")  # e.g. the statutory power relied on
    special_category: Mapped[bool] = mapped_column(Boolean, default=False)
    art9_condition: Mapped[str | None] = mapped_column(String(1))  # Article 9(2) a..j
    dea_s35: Mapped[bool] = mapped_column(Boolean, default=False)  # Digital Economy Act 2017 s.35
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    review_date: Mapped[dt.date] = mapped_column(Date)
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    terminated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    retention_action: Mapped[str] = mapped_column(String(20), default="anonymise")  # anonymise | delete
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    parties: Mapped[list[AgreementParty]] = relationship(back_populates="agreement", cascade="all, delete-orphan",
                                                         lazy="selectin")
    purposes: Mapped[list[AgreementPurpose]] = relationship(back_populates="agreement",
                                                            cascade="all, delete-orphan", lazy="selectin")


class AgreementParty(Base):
    __tablename__ = "support_agreement_party"
    __table_args__ = (UniqueConstraint("agreement_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("support_agreement.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # discloser (council) | recipient (VCS)

    agreement: Mapped[Agreement] = relationship(back_populates="parties")


class AgreementPurpose(Base):
    __tablename__ = "support_agreement_purpose"
    __table_args__ = (UniqueConstraint("agreement_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("support_agreement.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # the resident fields this purpose may share
    # the assessed needs (needs taxonomy keys) a referral under this purpose may be for; none listed: any need
    needs: Mapped[list[str] | None] = mapped_column(JSON, default=list)
    retention_days: Mapped[int] = mapped_column(Integer, default=365)  # after the referral closes

    agreement: Mapped[Agreement] = relationship(back_populates="purposes")


class Consent(Base):
    """A resident's consent to share, where consent is the lawful basis."""

    __tablename__ = "support_consent"
    __table_args__ = (Index("ix_support_consent_resident", "council_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("support_resident.id"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("support_agreement.id"))
    purpose_key: Mapped[str | None] = mapped_column(String(60))  # None: every purpose of the agreement
    scope: Mapped[str] = mapped_column(Text)  # what the resident agreed to, in the words used
    given_on: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20))  # phone | in_person | letter | online | email
    given_by: Mapped[str] = mapped_column(String(200), default="the resident")  # or a representative
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    withdrawal_note: Mapped[str | None] = mapped_column(Text)
