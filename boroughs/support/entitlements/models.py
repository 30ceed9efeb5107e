"""Take-up campaign tables: the latest estimate for each resident and benefit, and recorded outcomes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boroughs.core.db import Base, UTCDateTime, utcnow


class EntitlementEstimate(Base):
    """A resident likely missing out on a benefit, from the latest campaign refresh (SYNTHETIC in the demo)."""

    __tablename__ = "support_entitlement_estimate"
    __table_args__ = (
        UniqueConstraint("organisation_id", "resident_id", "benefit"),
        Index("ix_support_entitlement_estimate_org_annual", "organisation_id", "annual_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("support_resident.id", ondelete="CASCADE"), index=True)
    benefit: Mapped[str] = mapped_column(String(40))
    rates_year: Mapped[str] = mapped_column(String(10))
    likelihood: Mapped[str] = mapped_column(String(60))
    weekly_amount: Mapped[float] = mapped_column(Float)
    annual_amount: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)
    ward_name: Mapped[str | None] = mapped_column(String(120))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("support_outreach_case.id", ondelete="SET NULL"))
    current: Mapped[bool] = mapped_column(default=True)  # false once a refresh no longer finds it
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EntitlementOutcome(Base):
    """What happened when the council reached out: the measure of the estimator's accuracy over time."""

    __tablename__ = "support_entitlement_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    estimate_id: Mapped[int] = mapped_column(ForeignKey("support_entitlement_estimate.id", ondelete="CASCADE"),
                                             index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("support_resident.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(30))
    estimated_weekly: Mapped[float] = mapped_column(Float)
    awarded_weekly: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
