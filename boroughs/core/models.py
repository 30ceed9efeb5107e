"""Core tables: organisations, users and memberships, sign-in sessions, the audit trail, geography."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from boroughs.core.db import Base, UTCDateTime, utcnow


class OrgKind(enum.StrEnum):
    COUNCIL = "council"
    VCS = "vcs"
    FUND_BODY = "fund_body"
    PLATFORM = "platform"


class Role(enum.StrEnum):
    """Roles a membership can carry. Which kinds of organisation allow which roles is in ``ROLES_BY_KIND``."""

    COUNCIL_ANALYST = "council_analyst"
    COUNCIL_OFFICER = "council_officer"
    COUNCIL_MANAGER = "council_manager"
    COUNCIL_ADMIN = "council_admin"
    VCS_CASEWORKER = "vcs_caseworker"
    VCS_MANAGER = "vcs_manager"
    FUND_MANAGER = "fund_manager"
    PANEL_MEMBER = "panel_member"
    PLATFORM_ADMIN = "platform_admin"
    COUNCIL_IG = "council_ig"  # information governance: subject access and retention (issue 17)


ROLES_BY_KIND: dict[OrgKind, tuple[Role, ...]] = {
    OrgKind.COUNCIL: (Role.COUNCIL_ANALYST, Role.COUNCIL_OFFICER, Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN,
                      Role.COUNCIL_IG),
    OrgKind.VCS: (Role.VCS_CASEWORKER, Role.VCS_MANAGER),
    OrgKind.FUND_BODY: (Role.FUND_MANAGER, Role.PANEL_MEMBER),
    OrgKind.PLATFORM: (Role.PLATFORM_ADMIN,),
}

ROLE_LABELS: dict[Role, str] = {
    Role.COUNCIL_ANALYST: "Council data analyst",
    Role.COUNCIL_OFFICER: "Council officer",
    Role.COUNCIL_MANAGER: "Council manager",
    Role.COUNCIL_ADMIN: "Council administrator",
    Role.VCS_CASEWORKER: "VCS caseworker",
    Role.VCS_MANAGER: "VCS manager",
    Role.FUND_MANAGER: "Fund manager",
    Role.PANEL_MEMBER: "Panel member",
    Role.PLATFORM_ADMIN: "Platform administrator",
    Role.COUNCIL_IG: "Council information governance officer",
}


class Organisation(Base):
    __tablename__ = "core_organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    # ONS code for councils (E09000025), charity or company number for VCS organisations.
    ons_code: Mapped[str | None] = mapped_column(String(9), unique=True)
    charity_number: Mapped[str | None] = mapped_column(String(20))
    company_number: Mapped[str | None] = mapped_column(String(20))
    website: Mapped[str | None] = mapped_column(String(300))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "core_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # For single sign-on later: the identity provider's issuer and subject.
    sso_issuer: Mapped[str | None] = mapped_column(String(300))
    sso_subject: Mapped[str | None] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", lazy="selectin")


class Membership(Base):
    __tablename__ = "core_membership"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships", lazy="joined")


class Invitation(Base):
    """An invitation to join an organisation with a role; accepted by setting a password."""

    __tablename__ = "core_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    role: Mapped[str] = mapped_column(String(30))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LoginSession(Base):
    """A signed-in browser. The cookie holds a signed random token; the table holds its SHA-256."""

    __tablename__ = "core_login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64))


class LoginAttempt(Base):
    """Each sign-in attempt, for per-address throttling."""

    __tablename__ = "core_login_attempt"
    __table_args__ = (Index("ix_core_login_attempt_ip_at", "ip", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254))
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEvent(Base):
    """Append-only audit trail. Each row carries the hash of the previous one (see ``boroughs.core.audit``)."""

    __tablename__ = "core_audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_email: Mapped[str | None] = mapped_column(String(254))
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(String(80))
    object_id: Mapped[str | None] = mapped_column(String(80), index=True)
    purpose: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Area(Base):
    """A London geography: borough, ward (2022/24), MSOA 2021, LSOA 2021 or LSOA 2011."""

    __tablename__ = "core_area"
    __table_args__ = (Index("ix_core_area_kind_borough", "kind", "borough_code"),)

    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    borough_code: Mapped[str | None] = mapped_column(String(9))
    ward_code: Mapped[str | None] = mapped_column(String(9))
    msoa_code: Mapped[str | None] = mapped_column(String(9))


class LsoaChange(Base):
    """ONS LSOA 2011 → 2021 best-fit lookup for London (change U unchanged, S split, M merged, X complex)."""

    __tablename__ = "core_lsoa_change"

    lsoa11_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    lsoa21_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    change_code: Mapped[str] = mapped_column(String(1))


class Setting(Base):
    """Small key/value facts about this deployment (e.g. when geography was loaded)."""

    __tablename__ = "core_setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
