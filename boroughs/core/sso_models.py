"""Single sign-on tables (issue 15): one OpenID Connect provider per organisation, the sign-ins in flight,
and first sign-ins waiting for an administrator's approval.

The client secret is never stored here: ``client_secret_ref`` names where to read it (an environment
variable or a file), see ``boroughs.core.oidc.read_secret``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from boroughs.core.db import Base, UTCDateTime, utcnow
from boroughs.core.models import Organisation


class SsoProvider(Base):
    """An organisation's identity provider (Microsoft Entra ID, Google Workspace or any OpenID provider)."""

    __tablename__ = "core_sso_provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), unique=True)
    label: Mapped[str] = mapped_column(String(100))  # shown on the button, e.g. "Microsoft Entra ID"
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(300))
    client_secret_ref: Mapped[str] = mapped_column(String(300))  # "env:NAME" or "file:/path"
    allowed_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_role: Mapped[str | None] = mapped_column(String(30))  # None: an administrator approves first sign-ins
    allow_passwords: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class SsoRequest(Base):
    """A sign-in sent to the provider and not yet back: its ``state`` (hashed), ``nonce`` and PKCE verifier.
    Deleted when the provider sends the browser back, so a ``state`` works once."""

    __tablename__ = "core_sso_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("core_sso_provider.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(200))
    next_path: Mapped[str] = mapped_column(String(500), default="/")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64), index=True)  # the network address that started it


class SsoApproval(Base):
    """A first sign-in that waits for an administrator of the organisation (when no first role is set)."""

    __tablename__ = "core_sso_approval"
    __table_args__ = (
        UniqueConstraint("provider_id", "subject"),
        Index("ix_core_sso_approval_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("core_sso_provider.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, approved, refused
    role: Mapped[str | None] = mapped_column(String(30))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))

    provider: Mapped[SsoProvider] = relationship(lazy="joined")
