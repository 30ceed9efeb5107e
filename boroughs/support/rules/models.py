"""Early-warning tables: versioned rule sets, objections to profiling, flag runs and their flags.

* ``RuleSetVersion`` (``support_rule_set``): one version of a council's rule file. Officers draft and
  change; a manager (never the author) approves; the newest approved version is live. Every version is kept.
* ``OptOut`` (``support_opt_out``): a resident's objection to proactive profiling (UK GDPR Article 21),
  with the date and how it was received. Opted-out residents are never flagged.
* ``FlagRun`` / ``FlagRecord`` (``support_flag_run``, ``support_flag``): each evaluation of the live rules
  and the flags it raised, with their plain-English explanation and structured facts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boroughs.core.db import Base, UTCDateTime, utcnow


class RuleStatus:
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for a manager
    APPROVED = "approved"  # live while it is the newest approved version
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # an approved version that a newer approved version replaced

    LABELS = {"draft": "Draft", "submitted": "Waiting for approval", "approved": "Live",
              "rejected": "Sent back", "superseded": "Replaced"}


class RuleSetVersion(Base):
    __tablename__ = "support_rule_set"
    __table_args__ = (UniqueConstraint("organisation_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("support_rule_set.id"))
    status: Mapped[str] = mapped_column(String(20), default=RuleStatus.DRAFT)
    body: Mapped[str] = mapped_column(Text)  # the YAML rule file
    change_note: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)
    # the last preview: counts per rule, by ward and group, and the share check
    preview: Mapped[dict | None] = mapped_column(JSON)
    previewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class OptOut(Base):
    __tablename__ = "support_opt_out"
    __table_args__ = (Index("ix_support_opt_out_org_resident", "organisation_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("support_resident.id", ondelete="CASCADE"))
    objected_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(40))  # phone, letter, email, in person, online form, advocate
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))


class FlagRun(Base):
    __tablename__ = "support_flag_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("support_rule_set.id"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    residents: Mapped[int] = mapped_column(Integer)
    opted_out: Mapped[int] = mapped_column(Integer)
    flags: Mapped[int] = mapped_column(Integer)
    per_rule: Mapped[dict] = mapped_column(JSON)
    seconds: Mapped[float] = mapped_column(Float)
    run_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FlagRecord(Base):
    __tablename__ = "support_flag"
    __table_args__ = (
        UniqueConstraint("run_id", "resident_id", "rule_id"),
        Index("ix_support_flag_org_resident", "organisation_id", "resident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("support_flag_run.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("support_resident.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(63))
    severity: Mapped[str] = mapped_column(String(10))
    explanation: Mapped[str] = mapped_column(Text)
    facts: Mapped[list] = mapped_column(JSON)
