"""Support tables: imported source records and their histories, residents, linkage runs, review decisions.

What the early-warning rules read (see ``docs/support/linkage.md`` and ``boroughs.support.linkage.residents``):

* ``Resident`` (``support_resident``): one person as the council's records describe them, owned by a council
  (``organisation_id``), with the attributes fairness monitoring needs (``dob``, ``sex``, ``ethnicity``,
  ``disability``, ``lsoa21_code``, ``uprn`` of the latest address).
* ``ResidentRecord`` (``support_resident_record``): which source records make up each resident.
* ``SourceRecord`` (``support_source_record``): one record of one dataset (``dataset`` is a key of
  ``schemas.SCHEMAS``), with the person fields and the dataset's own fields in ``attributes``.
* ``RecordEvent`` (``support_record_event``): dated values of a record over time — ``measure`` (e.g.
  ``arrears``, ``ctr_award_weekly``, ``category``), ``event_date``, ``value_num`` or ``value_text``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from boroughs.core.db import Base, UTCDateTime, utcnow


class ImportBatch(Base):
    """One import of one dataset's file(s) for one council; the checksum makes re-imports a no-op."""

    __tablename__ = "support_import"
    __table_args__ = (UniqueConstraint("organisation_id", "dataset", "checksum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    dataset: Mapped[str] = mapped_column(String(40))
    schema_version: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(300))
    history_filename: Mapped[str | None] = mapped_column(String(300))
    checksum: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer, default=0)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SourceRecord(Base):
    __tablename__ = "support_source_record"
    __table_args__ = (
        UniqueConstraint("organisation_id", "dataset", "record_id"),
        Index("ix_support_source_record_org_dataset", "organisation_id", "dataset"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    dataset: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(100))
    import_id: Mapped[int] = mapped_column(ForeignKey("support_import.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    dob: Mapped[dt.date | None] = mapped_column(Date)
    address_line_1: Mapped[str | None] = mapped_column(String(300))
    address_line_2: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(12))
    uprn: Mapped[str | None] = mapped_column(String(12), index=True)
    national_id: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    sex: Mapped[str | None] = mapped_column(String(20))
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    disability: Mapped[bool | None] = mapped_column(Boolean)
    lsoa21_code: Mapped[str | None] = mapped_column(String(9))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    # The dataset's own fields (account_ref, band, claim_status, reason, ...), JSON-safe values.
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    events: Mapped[list[RecordEvent]] = relationship(
        back_populates="record", order_by="RecordEvent.event_date", cascade="all, delete-orphan"
    )


class RecordEvent(Base):
    """A dated value of a source record: its history (arrears over time, award changes, contacts)."""

    __tablename__ = "support_record_event"
    __table_args__ = (
        UniqueConstraint("source_record_id", "measure", "event_date"),
        Index("ix_support_record_event_org_measure_date", "organisation_id", "measure", "event_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    source_record_id: Mapped[int] = mapped_column(ForeignKey("support_source_record.id", ondelete="CASCADE"))
    dataset: Mapped[str] = mapped_column(String(40))
    measure: Mapped[str] = mapped_column(String(40))
    event_date: Mapped[dt.date] = mapped_column(Date)
    value_num: Mapped[float | None] = mapped_column(Float)
    value_text: Mapped[str | None] = mapped_column(String(300))

    record: Mapped[SourceRecord] = relationship(back_populates="events")


class LinkRun(Base):
    """One linkage of a council's records: the model used (Splink JSON) and its evaluation."""

    __tablename__ = "support_link_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    model_version: Mapped[str] = mapped_column(String(40))
    model: Mapped[dict] = mapped_column(JSON)
    evaluation: Mapped[dict] = mapped_column(JSON)
    threshold: Mapped[float] = mapped_column(Float)
    records: Mapped[int] = mapped_column(Integer)
    residents: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    run_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))


class Resident(Base):
    __tablename__ = "support_resident"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    # Best values across the linked records (most common; latest for the address).
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    dob: Mapped[dt.date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(20))
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    disability: Mapped[bool | None] = mapped_column(Boolean)
    postcode: Mapped[str | None] = mapped_column(String(12))
    uprn: Mapped[str | None] = mapped_column(String(12), index=True)
    lsoa21_code: Mapped[str | None] = mapped_column(String(9), index=True)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    # False once a rerun or a review leaves the resident with no records (kept for what refers to it).
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    link_run_id: Mapped[int | None] = mapped_column(ForeignKey("support_link_run.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    links: Mapped[list[ResidentRecord]] = relationship(back_populates="resident", cascade="all, delete-orphan")


class ResidentRecord(Base):
    """A source record belongs to exactly one resident."""

    __tablename__ = "support_resident_record"

    source_record_id: Mapped[int] = mapped_column(
        ForeignKey("support_source_record.id", ondelete="CASCADE"), primary_key=True
    )
    resident_id: Mapped[int] = mapped_column(ForeignKey("support_resident.id", ondelete="CASCADE"), index=True)
    # The strongest scored pair joining this record to another record of the resident (None when alone).
    match_probability: Mapped[float | None] = mapped_column(Float)
    link_run_id: Mapped[int | None] = mapped_column(ForeignKey("support_link_run.id"))

    resident: Mapped[Resident] = relationship(back_populates="links")
    record: Mapped[SourceRecord] = relationship()


class LinkPair(Base):
    """A scored pair of records from the latest run, kept when at or above the review band's floor."""

    __tablename__ = "support_link_pair"
    __table_args__ = (
        UniqueConstraint("link_run_id", "record_a_id", "record_b_id"),
        Index("ix_support_link_pair_run_prob", "link_run_id", "match_probability"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_run_id: Mapped[int] = mapped_column(ForeignKey("support_link_run.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    record_a_id: Mapped[int] = mapped_column(ForeignKey("support_source_record.id", ondelete="CASCADE"), index=True)
    record_b_id: Mapped[int] = mapped_column(ForeignKey("support_source_record.id", ondelete="CASCADE"), index=True)
    match_probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    # The pair's comparison vector: comparison name → Splink gamma level (-1 missing, 0 no match ... n exact).
    # ``residents.explain_pair`` turns it into plain English with the run's model weights.
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)


class ReviewDecision(Base):
    """A reviewer's decision on a pair of records: ``accept`` (same person) or ``reject`` (different people).

    Decisions outlive runs: every rerun joins accepted pairs and keeps rejected pairs apart. The newest
    decision on a pair replaces the older one (both are in the audit trail).
    """

    __tablename__ = "support_review_decision"
    __table_args__ = (UniqueConstraint("organisation_id", "record_a_id", "record_b_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    record_a_id: Mapped[int] = mapped_column(ForeignKey("support_source_record.id", ondelete="CASCADE"))
    record_b_id: Mapped[int] = mapped_column(ForeignKey("support_source_record.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
