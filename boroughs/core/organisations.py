"""Organisations, users, memberships and invitations: the services behind the admin pages and CLI."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boroughs.core import audit, notify
from boroughs.core.auth import hash_password, token_hash
from boroughs.core.datasets import slugify
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.core.models import (
    ROLE_LABELS,
    ROLES_BY_KIND,
    Invitation,
    Membership,
    Organisation,
    OrgKind,
    Role,
    User,
)

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ONS_COUNCIL = re.compile(r"E0[6-9]\d{6}|W06\d{6}|S12\d{6}|N09\d{6}")
CHARITY = re.compile(r"\d{6,8}(-\d{1,2})?|SC\d{6}|NIC\d{6}")
COMPANY = re.compile(r"[A-Z0-9]{8}")


def create_organisation(
    db: Session,
    name: str,
    kind: OrgKind | str,
    *,
    ons_code: str | None = None,
    charity_number: str | None = None,
    company_number: str | None = None,
    slug: str | None = None,
    is_demo: bool = False,
    actor: User | None = None,
) -> Organisation:
    kind = OrgKind(kind)
    name = name.strip()
    if not name:
        raise ValidationFailed("Enter the organisation's name.")
    if kind is OrgKind.COUNCIL:
        if not ons_code or not ONS_COUNCIL.fullmatch(ons_code):
            raise ValidationFailed("A council needs its ONS local authority code, for example E09000025 for Newham.")
        if db.scalar(select(Organisation).where(Organisation.ons_code == ons_code)):
            raise ValidationFailed(f"A council with ONS code {ons_code} already exists.")
    elif ons_code:
        raise ValidationFailed("Only councils have an ONS code.")
    if kind is OrgKind.VCS:
        if not charity_number and not company_number:
            raise ValidationFailed("A VCS organisation needs its charity number or company number.")
        if charity_number and not CHARITY.fullmatch(charity_number):
            raise ValidationFailed(f"{charity_number!r} is not a charity number (for example 1234567 or SC012345).")
        if company_number and not COMPANY.fullmatch(company_number):
            raise ValidationFailed(f"{company_number!r} is not a company number (8 characters, for example 01234567).")
    slug = slug or slugify(name)
    if db.scalar(select(Organisation).where(Organisation.slug == slug)):
        raise ValidationFailed(f"An organisation called {name!r} already exists.")
    org = Organisation(name=name, kind=kind.value, ons_code=ons_code, charity_number=charity_number,
                       company_number=company_number, slug=slug, is_demo=is_demo)
    db.add(org)
    db.flush()
    audit.record(db, "org.create", actor=actor, organisation_id=org.id, object_type="organisation",
                 object_id=org.id, detail={"name": name, "kind": kind.value})
    return org


def organisation_by(db: Session, ref: str | int) -> Organisation:
    """Find an organisation by id, slug or ONS code."""
    if isinstance(ref, int) or str(ref).isdigit():
        org = db.get(Organisation, int(ref))
    else:
        org = db.scalar(select(Organisation).where((Organisation.slug == ref) | (Organisation.ons_code == ref)))
    if org is None:
        raise NotFound(f"No organisation {ref!r}. List them with `boroughs admin list-orgs`.")
    return org


def _check_role(org: Organisation, role: Role | str) -> Role:
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(f"{role!r} is not a role. Roles: {', '.join(r.value for r in Role)}.") from None
    allowed = ROLES_BY_KIND[OrgKind(org.kind)]
    if role not in allowed:
        raise ValidationFailed(
            f"A {OrgKind(org.kind).value} organisation cannot have the role {role.value}; "
            f"choose one of {', '.join(r.value for r in allowed)}."
        )
    return role


def create_user(
    db: Session, email: str, name: str, password: str | None, *, actor: User | None = None
) -> User:
    email = email.strip().lower()
    if not EMAIL.fullmatch(email):
        raise ValidationFailed(f"{email!r} is not an email address.")
    if db.scalar(select(User).where(func.lower(User.email) == email)):
        raise ValidationFailed(f"There is already an account for {email}.")
    user = User(email=email, name=name.strip(),
                password_hash=hash_password(password, email=email, name=name) if password else None)
    db.add(user)
    db.flush()
    audit.record(db, "user.create", actor=actor, object_type="user", object_id=user.id, detail={"email": email})
    return user


def add_membership(db: Session, user: User, org: Organisation, role: Role | str, *, actor: User | None = None) -> Membership:
    role = _check_role(org, role)
    existing = db.scalar(select(Membership).where(Membership.user_id == user.id,
                                                  Membership.organisation_id == org.id, Membership.role == role.value))
    if existing:
        return existing
    m = Membership(user_id=user.id, organisation_id=org.id, role=role.value)
    db.add(m)
    db.flush()
    db.refresh(user)
    audit.record(db, "member.add", actor=actor, organisation_id=org.id, object_type="user", object_id=user.id,
                 detail={"role": role.value})
    return m


def change_role(db: Session, membership: Membership, role: Role | str, *, actor: User | None = None) -> Membership:
    org = db.get(Organisation, membership.organisation_id)
    assert org is not None
    new_role = _check_role(org, role)
    old = membership.role
    membership.role = new_role.value
    db.flush()
    audit.record(db, "member.change_role", actor=actor, organisation_id=org.id, object_type="user",
                 object_id=membership.user_id, detail={"from": old, "to": new_role.value})
    return membership


def remove_membership(db: Session, membership: Membership, *, actor: User | None = None) -> None:
    audit.record(db, "member.remove", actor=actor, organisation_id=membership.organisation_id, object_type="user",
                 object_id=membership.user_id, detail={"role": membership.role})
    db.delete(membership)
    db.flush()


def invite(
    db: Session, org: Organisation, email: str, name: str, role: Role | str, *, actor: User | None = None,
    days: int = 7,
) -> tuple[Invitation, str]:
    """Create an invitation; returns it and the one-time token for the link ``/invitations/<token>``."""
    email = email.strip().lower()
    if not EMAIL.fullmatch(email):
        raise ValidationFailed(f"{email!r} is not an email address.")
    role = _check_role(org, role)
    token = secrets.token_urlsafe(24)
    inv = Invitation(token_hash=token_hash(token), email=email, name=name.strip(), organisation_id=org.id,
                     role=role.value, invited_by_id=getattr(actor, "id", None),
                     expires_at=utcnow() + dt.timedelta(days=days))
    db.add(inv)
    db.flush()
    audit.record(db, "member.invite", actor=actor, organisation_id=org.id, object_type="invitation",
                 object_id=inv.id, detail={"email": email, "role": role.value})
    notify.enqueue(db, "core.invitation", email, {  # issue 15: the link goes by email
        "name": inv.name or "there", "inviter": getattr(actor, "name", None) or "An administrator",
        "organisation": org.name, "role": ROLE_LABELS.get(role, role.value).lower(),
        "expires": f"{inv.expires_at:%d %B %Y}", "link": notify.link(f"/invitations/{token}")},
        organisation_id=org.id, reference=f"invitation-{inv.id}")
    return inv, token


def find_invitation(db: Session, token: str) -> Invitation:
    inv = db.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if inv is None or inv.accepted_at is not None or inv.expires_at <= utcnow():
        raise NotFound("This invitation link is not valid: it may have expired or been used. Ask for a new one.")
    return inv


def accept_invitation(db: Session, token: str, password: str | None) -> User:
    """Accept an invitation: the account (with ``password``, or none where the organisation signs in only
    through single sign-on) and the membership."""
    inv = find_invitation(db, token)
    org = db.get(Organisation, inv.organisation_id)
    assert org is not None
    user = db.scalar(select(User).where(func.lower(User.email) == inv.email))
    if user is None:
        user = create_user(db, inv.email, inv.name, password)
    add_membership(db, user, org, inv.role)
    inv.accepted_at = utcnow()
    db.flush()
    return user
