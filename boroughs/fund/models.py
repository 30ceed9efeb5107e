"""The fund's tables: calls and strands, partnership proposals, assessment, awards, projects and openness.

Money is held in whole pounds (``int``): the fund's budgets, award limits and partner budgets are set in
pounds, and 360Giving amounts are plain numbers. Every table is named ``fund_*`` so the fund's Alembic
branch owns it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from boroughs.core.db import Base, UTCDateTime, utcnow
from boroughs.core.models import Organisation, User


class Call(Base):
    """A call for proposals run by a fund body, with a phase, dates, a budget and eligibility rules."""

    __tablename__ = "fund_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_body_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    guidance: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[str] = mapped_column(String(20), default="drafting")
    opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_date: Mapped[dt.date | None] = mapped_column(Date)
    total_budget: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    min_partner_councils: Mapped[int] = mapped_column(Integer, default=2)
    max_amount_per_proposal: Mapped[int | None] = mapped_column(Integer)
    blind_review: Mapped[bool] = mapped_column(Boolean, default=False)
    grant_prefix: Mapped[str] = mapped_column(String(60), default="360G-boroughs")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    fund_body: Mapped[Organisation] = relationship(lazy="joined")
    strands: Mapped[list[Strand]] = relationship(
        back_populates="call", order_by="Strand.position", cascade="all, delete-orphan"
    )
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="call", order_by="Criterion.position", cascade="all, delete-orphan"
    )


class Strand(Base):
    """A strand of a call with its own budget and award limit (the most any one award may be)."""

    __tablename__ = "fund_strand"
    __table_args__ = (
        UniqueConstraint("call_id", "slug"),
        CheckConstraint("budget >= 0", name="budget_not_negative"),
        CheckConstraint("award_limit > 0", name="award_limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("fund_call.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    budget: Mapped[int] = mapped_column(Integer)
    award_limit: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    call: Mapped[Call] = relationship(back_populates="strands")


class Criterion(Base):
    """A weighted rubric criterion, scored 0–5."""

    __tablename__ = "fund_criterion"
    __table_args__ = (CheckConstraint("weight > 0", name="weight_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("fund_call.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int] = mapped_column(Integer, default=1)
    position: Mapped[int] = mapped_column(Integer, default=0)

    call: Mapped[Call] = relationship(back_populates="criteria")


class Proposal(Base):
    """A joint proposal owned by a partnership of councils (and optional VCS partners).

    The outcomes-based form lives in ``form`` (a dict of named sections, see ``proposals.FORM_FIELDS``);
    measures and partners are rows of their own. ``version`` rises with every save; partners sign off a
    particular version.
    """

    __tablename__ = "fund_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("fund_call.id"), index=True)
    strand_id: Mapped[int | None] = mapped_column(ForeignKey("fund_strand.id"), index=True)
    lead_org_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(30), default="draft", index=True)
    is_data_project: Mapped[bool] = mapped_column(Boolean, default=False)
    amount_requested: Mapped[int] = mapped_column(Integer, default=0)
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    moderation_note: Mapped[str | None] = mapped_column(Text)
    is_fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    call: Mapped[Call] = relationship(lazy="joined")
    strand: Mapped[Strand | None] = relationship(lazy="joined")
    lead_org: Mapped[Organisation] = relationship(lazy="joined")
    partners: Mapped[list[Partner]] = relationship(
        back_populates="proposal", order_by="Partner.position", cascade="all, delete-orphan",
        lazy="selectin",
    )
    measures: Mapped[list[Measure]] = relationship(
        back_populates="proposal", order_by="Measure.position", cascade="all, delete-orphan",
        lazy="selectin",
    )


class Partner(Base):
    """An organisation in a partnership: the lead, a partner council, a VCS partner, or an interested
    borough (which watches and may adopt, but neither signs off nor holds budget)."""

    __tablename__ = "fund_partner"
    __table_args__ = (UniqueConstraint("proposal_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("fund_proposal.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # lead | partner | vcs | interested
    role: Mapped[str] = mapped_column(Text, default="")
    officer_days: Mapped[int] = mapped_column(Integer, default=0)
    match_funding: Mapped[int] = mapped_column(Integer, default=0)
    budget: Mapped[int] = mapped_column(Integer, default=0)
    budget_purpose: Mapped[str] = mapped_column(Text, default="")
    signed_off_version: Mapped[int | None] = mapped_column(Integer)
    signed_off_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    proposal: Mapped[Proposal] = relationship(back_populates="partners")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Measure(Base):
    """An outcome measure with a baseline and a target, reported against after the award."""

    __tablename__ = "fund_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("fund_proposal.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(60), default="")
    baseline: Mapped[float | None] = mapped_column()
    target: Mapped[float | None] = mapped_column()
    position: Mapped[int] = mapped_column(Integer, default=0)

    proposal: Mapped[Proposal] = relationship(back_populates="measures")


class ProposalVersion(Base):
    """A saved version of a proposal (every save, autosave or not), so nothing a partner wrote is lost."""

    __tablename__ = "fund_proposal_version"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("fund_proposal.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    autosave: Mapped[bool] = mapped_column(Boolean, default=False)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_fields: Mapped[list[str]] = mapped_column(JSON, default=list)

    saved_by: Mapped[User | None] = relationship(lazy="joined")


class Assignment(Base):
    """A panel member assigned to assess a proposal."""

    __tablename__ = "fund_assignment"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("fund_proposal.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class Conflict(Base):
    """A recorded conflict of interest: automatic (the member belongs to an organisation in the proposal)
    or declared by the member. Either way the member is recused from that proposal."""

    __tablename__ = "fund_conflict"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("fund_proposal.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # automatic | declared
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class Score(Base):
    """One panel member's score (0–5) and comment on one criterion of one proposal."""

    __tablename__ = "fund_score"
    __table_args__ = (
        UniqueConstraint("proposal_id", "criterion_id", "user_id"),
        CheckConstraint("score >= 0 AND score <= 5", name="score_0_to_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("fund_proposal.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("fund_criterion.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Award(Base):
    """A grant awarded to a proposal from its strand."""

    __tablename__ = "fund_award"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("fund_proposal.id"), unique=True)
    strand_id: Mapped[int] = mapped_column(ForeignKey("fund_strand.id"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    grant_id: Mapped[str] = mapped_column(String(120), unique=True)
    award_date: Mapped[dt.date] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    proposal: Mapped[Proposal] = relationship(lazy="joined")
    strand: Mapped[Strand] = relationship(lazy="joined")


class Project(Base):
    """A funded project moving through the Double Diamond stages."""

    __tablename__ = "fund_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("fund_proposal.id"), unique=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("fund_award.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20), default="discover")
    is_data_project: Mapped[bool] = mapped_column(Boolean, default=False)
    ig_signed_off_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ig_signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    ig_note: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    proposal: Mapped[Proposal] = relationship(lazy="joined")
    award: Mapped[Award] = relationship(lazy="joined")


class Evidence(Base):
    """Evidence for a stage gate (``stage`` is a Double Diamond stage, or ``ig`` for the IG gate)."""

    __tablename__ = "fund_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("fund_project.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Gate(Base):
    """A passed gate: the stage it closed, who passed it and why."""

    __tablename__ = "fund_gate"
    __table_args__ = (UniqueConstraint("project_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("fund_project.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    decision_note: Mapped[str] = mapped_column(Text)
    passed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    passed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Report(Base):
    """A scheduled progress report; ``submitted_at`` is empty until the project files it."""

    __tablename__ = "fund_report"
    __table_args__ = (UniqueConstraint("project_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("fund_project.id", ondelete="CASCADE"), index=True)
    period: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[dt.date] = mapped_column(Date)
    narrative: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))

    values: Mapped[list[ReportValue]] = relationship(
        back_populates="report", cascade="all, delete-orphan", lazy="selectin"
    )


class ReportValue(Base):
    """The value of one outcome measure in one progress report."""

    __tablename__ = "fund_report_value"
    __table_args__ = (UniqueConstraint("report_id", "measure_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("fund_report.id", ondelete="CASCADE"), index=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("fund_measure.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")

    report: Mapped[Report] = relationship(back_populates="values")


class Lesson(Base):
    """A lesson learned, in a register across all projects."""

    __tablename__ = "fund_lesson"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("fund_project.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Output(Base):
    """A reusable output of a project: code, a playbook, a dataset or a service pattern."""

    __tablename__ = "fund_output"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("fund_project.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    licence: Mapped[str] = mapped_column(String(100), default="")
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    adoptions: Mapped[list[Adoption]] = relationship(
        back_populates="output", cascade="all, delete-orphan", lazy="selectin"
    )


class Adoption(Base):
    """A borough's adoption of (or interest in) a reusable output."""

    __tablename__ = "fund_adoption"
    __table_args__ = (UniqueConstraint("output_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    output_id: Mapped[int] = mapped_column(ForeignKey("fund_output.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # interested | adopting | adopted
    url: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    output: Mapped[Output] = relationship(back_populates="adoptions")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class AreaLink(Base):
    """A link from a funded project to the Boroughs area it produced, by area name, id and URL only."""

    __tablename__ = "fund_area_link"
    __table_args__ = (UniqueConstraint("project_id", "area", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("fund_project.id", ondelete="CASCADE"), index=True)
    area: Mapped[str] = mapped_column(String(20))  # inclusion | support | fund
    ref: Mapped[str] = mapped_column(String(120), default="")
    url: Mapped[str] = mapped_column(String(500))
    label: Mapped[str] = mapped_column(String(200))


class ExternalGrant(Base):
    """A grant imported from another funder's published 360Giving data."""

    __tablename__ = "fund_external_grant"
    __table_args__ = (UniqueConstraint("source", "grant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(120), index=True)
    grant_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    amount_awarded: Mapped[float] = mapped_column()
    award_date: Mapped[str] = mapped_column(String(40))
    funder_id: Mapped[str] = mapped_column(String(200))
    funder_name: Mapped[str] = mapped_column(String(300))
    recipient_id: Mapped[str | None] = mapped_column(String(200))
    recipient_name: Mapped[str | None] = mapped_column(String(500))
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
