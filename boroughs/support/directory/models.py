"""Tables of the shared service directory (Open Referral UK 3.0 compatible).

Every directory object carries a ``uuid``: the identifier ORUK uses, kept stable across imports and exports.
Services belong to directory organisations; an organisation may be *claimed* by a Boroughs organisation
(``owner_org_id``), whose VCS managers then edit its listings (changes wait for council review).
"""

from __future__ import annotations

import datetime as dt
import uuid as _uuid

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from boroughs.core.db import Base, UTCDateTime, utcnow


def new_uuid() -> str:
    return str(_uuid.uuid4())


service_term = Table(
    "support_dir_service_term",
    Base.metadata,
    Column("service_id", ForeignKey("support_dir_service.id", ondelete="CASCADE"), primary_key=True),
    Column("term_id", ForeignKey("support_dir_term.id", ondelete="CASCADE"), primary_key=True),
)


class DirTaxonomy(Base):
    __tablename__ = "support_dir_taxonomy"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    uri: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(50))

    terms: Mapped[list[DirTerm]] = relationship(back_populates="taxonomy", order_by="DirTerm.name")


class DirTerm(Base):
    """A taxonomy term. ``need`` links a term to the outreach needs taxonomy (food, fuel, housing ...)."""

    __tablename__ = "support_dir_term"
    __table_args__ = (UniqueConstraint("taxonomy_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    taxonomy_id: Mapped[int] = mapped_column(ForeignKey("support_dir_taxonomy.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("support_dir_term.id"))
    need: Mapped[str | None] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="category")  # category | eligibility

    taxonomy: Mapped[DirTaxonomy] = relationship(back_populates="terms")


class DirOrganisation(Base):
    __tablename__ = "support_dir_organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(500))
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    source: Mapped[str] = mapped_column(String(100), default="local")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    services: Mapped[list[DirService]] = relationship(back_populates="organisation", order_by="DirService.name")


class DirService(Base):
    __tablename__ = "support_dir_service"
    __table_args__ = (Index("ix_support_dir_service_org_status", "organisation_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("support_dir_organisation.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(30), default="active")
    fees: Mapped[str | None] = mapped_column(Text)
    accreditations: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    eligibility: Mapped[str | None] = mapped_column(Text)  # plain-English eligibility description
    # ONS codes of the boroughs (or wards) served; empty means "anywhere"
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    assured_date: Mapped[str | None] = mapped_column(String(10))  # ISO date
    # Referral status, published by the provider
    receives_referrals: Mapped[bool] = mapped_column(Boolean, default=False)
    accepting_referrals: Mapped[bool] = mapped_column(Boolean, default=False)
    waiting_days: Mapped[int | None] = mapped_column(Integer)  # typical wait before first contact
    capacity_week: Mapped[int | None] = mapped_column(Integer)  # new referrals it can take this week
    response_days: Mapped[int] = mapped_column(Integer, default=3)  # promise: accept or decline within N days
    status_updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(100), default="local")
    last_modified: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organisation: Mapped[DirOrganisation] = relationship(back_populates="services", lazy="joined")
    terms: Mapped[list[DirTerm]] = relationship(secondary=service_term, lazy="selectin")
    locations: Mapped[list[DirLocation]] = relationship(back_populates="service", cascade="all, delete-orphan",
                                                        lazy="selectin")
    schedules: Mapped[list[DirSchedule]] = relationship(back_populates="service", cascade="all, delete-orphan",
                                                        lazy="selectin")
    contacts: Mapped[list[DirContact]] = relationship(back_populates="service", cascade="all, delete-orphan",
                                                      lazy="selectin")


class DirLocation(Base):
    """A place where a service is delivered (ORUK location plus its service_at_location link)."""

    __tablename__ = "support_dir_location"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    sal_uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    service_id: Mapped[int] = mapped_column(ForeignKey("support_dir_service.id", ondelete="CASCADE"), index=True)
    location_type: Mapped[str] = mapped_column(String(20), default="physical")
    name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    address_1: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(10))
    borough_code: Mapped[str | None] = mapped_column(String(9))
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()

    service: Mapped[DirService] = relationship(back_populates="locations")


class DirSchedule(Base):
    __tablename__ = "support_dir_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    service_id: Mapped[int] = mapped_column(ForeignKey("support_dir_service.id", ondelete="CASCADE"), index=True)
    freq: Mapped[str | None] = mapped_column(String(10))
    byday: Mapped[str | None] = mapped_column(String(40))
    opens_at: Mapped[str | None] = mapped_column(String(8))
    closes_at: Mapped[str | None] = mapped_column(String(8))
    description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[DirService] = relationship(back_populates="schedules")


class DirContact(Base):
    __tablename__ = "support_dir_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    service_id: Mapped[int] = mapped_column(ForeignKey("support_dir_service.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))

    service: Mapped[DirService] = relationship(back_populates="contacts")


class DirChange(Base):
    """A listing change proposed by a provider, applied when a council reviewer approves it."""

    __tablename__ = "support_dir_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("support_dir_service.id", ondelete="CASCADE"), index=True)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changes: Mapped[dict] = mapped_column(JSON)  # field -> {"old": ..., "new": ...}
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending|approved|rejected
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    review_note: Mapped[str | None] = mapped_column(Text)

    service: Mapped[DirService] = relationship(lazy="joined")


class DirImport(Base):
    """One import of an ORUK feed, with the faults found in it (record, field, problem, what was done)."""

    __tablename__ = "support_dir_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(10))
    services_read: Mapped[int] = mapped_column(Integer, default=0)
    services_kept: Mapped[int] = mapped_column(Integer, default=0)
    faults: Mapped[list] = mapped_column(JSON, default=list)
