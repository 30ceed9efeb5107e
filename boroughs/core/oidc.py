"""Single sign-on with OpenID Connect (issue 15): the authorisation code flow with PKCE, ``state`` and
``nonce``, and ID tokens checked against the provider's published keys (JWKS).

No web framework here; ``boroughs.web.routes.sso`` calls ``begin`` and ``complete``. Each organisation has
at most one provider (``SsoProvider``): its issuer (whose ``/.well-known/openid-configuration`` gives the
endpoints and keys), client id, a *reference* to the client secret (``env:NAME`` or ``file:/path``, never the
secret itself), the email domains allowed, and the role a first sign-in gets (or ``None``: an administrator
approves it). ``allow_passwords=False`` refuses password sign-in to the organisation's members.

Libraries: Authlib builds the authorisation request and the PKCE challenge; joserfc verifies the ID token's
signature and claims. HTTP calls are synchronous (``httpx``) because the routes that call them are plain
``def`` routes run in FastAPI's thread pool.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from boroughs.config import get_settings
from boroughs.core import audit
from boroughs.core.auth import SignInRefused, token_hash
from boroughs.core.db import utcnow
from boroughs.core.errors import BoroughsError, NotFound, ValidationFailed
from boroughs.core.models import ROLES_BY_KIND, Membership, Organisation, OrgKind, Role, User
from boroughs.core.sso_models import SsoApproval, SsoProvider, SsoRequest

SCOPES = "openid email profile"
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256")
LEEWAY_SECONDS = 60  # clock difference tolerated between Boroughs and the provider
CACHE_SECONDS = 3600
DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+")


class SsoFailed(BoroughsError):
    """A single sign-on was refused; the message is safe to show to the person signing in."""


class SsoPending(BoroughsError):
    """A first sign-in is waiting for an administrator's approval."""


# ---------------------------------------------------------------- configuration


def default_secret_ref(org: Organisation) -> str:
    return "env:BOROUGHS_SSO_SECRET_" + re.sub(r"[^A-Z0-9]+", "_", org.slug.upper()).strip("_")


def read_secret(ref: str) -> str:
    """The client secret a reference names: ``env:NAME`` (an environment variable) or ``file:/path``."""
    kind, _, where = ref.partition(":")
    if kind == "env" and where:
        value = os.environ.get(where, "")
        if not value:
            raise SsoFailed(f"Single sign-on is not set up completely: the environment variable {where} "
                            "holding the client secret is not set. Ask your administrator.")
        return value
    if kind == "file" and where:
        try:
            value = Path(where).read_text(encoding="utf-8").strip()
        except OSError:
            value = ""
        if not value:
            raise SsoFailed(f"Single sign-on is not set up completely: the client secret file {where} "
                            "is missing or empty. Ask your administrator.")
        return value
    raise SsoFailed(f"The client secret reference {ref!r} is not understood: use env:NAME or file:/path.")


def secret_status(ref: str) -> str:
    """Whether the secret can be read, for the admin pages (never the secret itself)."""
    try:
        read_secret(ref)
    except SsoFailed:
        return "not found"
    return "found"


def _local_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_issuer(issuer: str) -> str:
    issuer = issuer.strip().rstrip("/")
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return issuer
    if parts.scheme == "http" and parts.hostname and _local_host(parts.hostname):
        return issuer  # a provider on this machine (tests, development)
    raise ValidationFailed(f"The issuer {issuer!r} must be an https:// address (for example "
                           "https://login.microsoftonline.com/<tenant id>/v2.0 or https://accounts.google.com).")


def configure(
    db: Session,
    org: Organisation,
    *,
    issuer: str,
    client_id: str,
    domains: list[str],
    secret_ref: str | None = None,
    first_role: str | None = None,
    label: str | None = None,
    allow_passwords: bool | None = None,
    enabled: bool = True,
    actor: User | None = None,
) -> SsoProvider:
    """Create or change an organisation's provider (``first_role=None``: an administrator approves)."""
    issuer = check_issuer(issuer)
    if not client_id.strip():
        raise ValidationFailed("Enter the client id (application id) the identity provider gave Boroughs.")
    clean = sorted({d.strip().lower().lstrip("@") for d in domains if d.strip()})
    if not clean:
        raise ValidationFailed("Give at least one email domain allowed to sign in, e.g. camden.gov.uk.")
    for d in clean:
        if not DOMAIN.fullmatch(d):
            raise ValidationFailed(f"{d!r} is not an email domain (for example camden.gov.uk).")
    if first_role is not None:
        try:
            role = Role(first_role)
        except ValueError:
            raise ValidationFailed(f"{first_role!r} is not a role.") from None
        if role not in ROLES_BY_KIND[OrgKind(org.kind)]:
            allowed = ", ".join(r.value for r in ROLES_BY_KIND[OrgKind(org.kind)])
            raise ValidationFailed(f"{first_role!r} is not a role in a {org.kind}; choose one of {allowed}.")
    ref = (secret_ref or "").strip() or default_secret_ref(org)
    if not ref.startswith(("env:", "file:")):
        raise ValidationFailed("The secret reference must be env:NAME or file:/path (never the secret itself).")
    provider = db.scalar(select(SsoProvider).where(SsoProvider.organisation_id == org.id))
    if provider is None:
        provider = SsoProvider(organisation_id=org.id, allow_passwords=True, label="")
        db.add(provider)
    provider.issuer = issuer
    provider.client_id = client_id.strip()
    provider.client_secret_ref = ref
    provider.allowed_domains = clean
    provider.first_role = first_role
    provider.label = (label or provider.label or _guess_label(issuer)).strip()
    if allow_passwords is not None:
        provider.allow_passwords = allow_passwords
    provider.enabled = enabled
    db.flush()
    audit.record(db, "sso.configure", actor=actor, organisation_id=org.id, object_type="sso_provider",
                 object_id=provider.id, detail={"issuer": issuer, "client_id": provider.client_id,
                                                "domains": clean, "first_role": first_role,
                                                "allow_passwords": provider.allow_passwords, "enabled": enabled})
    return provider


def _guess_label(issuer: str) -> str:
    host = urlsplit(issuer).hostname or ""
    if host.endswith("microsoftonline.com"):
        return "Microsoft Entra ID"
    if host == "accounts.google.com":
        return "Google Workspace"
    return "your organisation's account"


def provider_for(db: Session, org: Organisation) -> SsoProvider | None:
    return db.scalar(select(SsoProvider).where(SsoProvider.organisation_id == org.id))


def enabled_providers(db: Session) -> list[SsoProvider]:
    return list(db.scalars(select(SsoProvider).where(SsoProvider.enabled.is_(True)).join(Organisation)
                           .order_by(Organisation.name)))


# ---------------------------------------------------------------- password sign-in switched off


def sso_only(db: Session, organisation_id: int) -> SsoProvider | None:
    """The organisation's identity provider when it has switched password sign-in off (else ``None``)."""
    p = db.scalar(select(SsoProvider).where(SsoProvider.organisation_id == organisation_id))
    return p if p is not None and p.enabled and not p.allow_passwords else None


def refuse_password_sign_in(db: Session, email: str, user: User | None = None) -> None:
    """Raise ``SignInRefused`` when password sign-in is switched off for this person.

    Without ``user`` (before the password is checked) only the email's domain is looked at, which tells
    nothing about whether an account exists; with ``user`` (after a correct password) their memberships."""
    closed = list(db.scalars(select(SsoProvider).where(SsoProvider.allow_passwords.is_(False),
                                                       SsoProvider.enabled.is_(True))))
    if not closed:
        return
    domain = email.strip().lower().rpartition("@")[2]
    member_of = {m.organisation_id for m in user.memberships} if user is not None else set()
    for p in closed:
        if domain in p.allowed_domains or p.organisation_id in member_of:
            raise SignInRefused(
                f"{p.organisation.name} signs its staff in with {p.label}, not a password. "
                f"Use \u201cSign in with your organisation\u2019s account\u201d at /sign-in/sso/{p.organisation.slug}."
            )


# ---------------------------------------------------------------- the provider's documents


@dataclass
class _Cached:
    value: dict[str, Any]
    at: float


_cache: dict[str, _Cached] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _get_json(url: str, what: str, *, fresh: bool = False) -> dict[str, Any]:
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(url)
    if hit is not None and not fresh and now - hit.at < CACHE_SECONDS:
        return hit.value
    try:
        r = httpx.get(url, timeout=get_settings().sso_http_timeout, follow_redirects=False)
        r.raise_for_status()
        value = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoFailed(f"The identity provider could not be reached ({what} at {url}: {exc}). "
                        "Try again in a few minutes, or ask your administrator.") from exc
    if not isinstance(value, dict):
        raise SsoFailed(f"The identity provider's {what} at {url} is not a JSON object.")
    with _cache_lock:
        _cache[url] = _Cached(value, now)
    return value


def discovery(provider: SsoProvider) -> dict[str, Any]:
    """The provider's OpenID configuration, checked to be for the configured issuer."""
    doc = _get_json(provider.issuer + "/.well-known/openid-configuration", "discovery document")
    if str(doc.get("issuer", "")).rstrip("/") != provider.issuer:
        raise SsoFailed(f"The identity provider's discovery document names the issuer {doc.get('issuer')!r}, "
                        f"not {provider.issuer!r}. Ask your administrator to check the issuer.")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not doc.get(key):
            raise SsoFailed(f"The identity provider's discovery document has no {key}.")
    return doc


def _keys(doc: dict[str, Any], *, fresh: bool = False) -> KeySet:
    try:
        return KeySet.import_key_set(_get_json(doc["jwks_uri"], "signing keys", fresh=fresh))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise SsoFailed(f"The identity provider's signing keys cannot be read ({exc}).") from exc


# ---------------------------------------------------------------- the flow


def redirect_uri(request_base: str) -> str:
    base = get_settings().public_url.rstrip("/") or request_base.rstrip("/")
    return base + "/sign-in/sso/callback"


class SsoThrottled(SsoFailed):
    """Too many sign-ins started from one network address are waiting at the provider."""


def begin(db: Session, provider: SsoProvider, callback: str, next_path: str = "/",
          ip: str | None = None) -> tuple[str, str]:
    """Start a sign-in: store ``state``, ``nonce`` and the PKCE verifier; return the provider's
    authorisation address and the ``state`` (which the browser also keeps in a cookie).

    One network address may have ``BOROUGHS_SSO_STARTS_PER_ADDRESS`` sign-ins waiting at once (each is a row
    until the provider sends the browser back or it expires): more raise :class:`SsoThrottled`."""
    if not provider.enabled:
        raise SsoFailed(f"Single sign-on is switched off for {provider.organisation.name}.")
    settings = get_settings()
    now = utcnow()
    db.execute(delete(SsoRequest).where(SsoRequest.expires_at <= now))
    if ip is not None:
        waiting = db.scalar(select(func.count()).select_from(SsoRequest).where(SsoRequest.ip == ip)) or 0
        if waiting >= settings.sso_starts_per_address:
            raise SsoThrottled("Too many sign-ins have been started from your network. Finish one, or try again in "
                               f"{settings.sso_request_minutes} minutes.")
    doc = discovery(provider)
    state, nonce, verifier = generate_token(43), generate_token(43), generate_token(64)
    db.add(SsoRequest(state_hash=token_hash(state), provider_id=provider.id, nonce=nonce, code_verifier=verifier,
                      next_path=next_path, created_at=now, ip=ip,
                      expires_at=now + dt.timedelta(minutes=settings.sso_request_minutes)))
    db.flush()
    url = prepare_grant_uri(doc["authorization_endpoint"], provider.client_id, "code", redirect_uri=callback,
                            scope=SCOPES, state=state, nonce=nonce,
                            code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256")
    return url, state


@dataclass
class Identity:
    issuer: str
    subject: str
    email: str
    name: str


def _exchange(provider: SsoProvider, doc: dict[str, Any], code: str, verifier: str, callback: str) -> str:
    secret = read_secret(provider.client_secret_ref)
    try:
        r = httpx.post(doc["token_endpoint"], data={"grant_type": "authorization_code", "code": code,
                                                    "redirect_uri": callback, "code_verifier": verifier},
                       auth=(provider.client_id, secret), headers={"Accept": "application/json"},
                       timeout=get_settings().sso_http_timeout)
    except httpx.HTTPError as exc:
        raise SsoFailed(f"The identity provider's token endpoint could not be reached ({exc}). Try again.") from exc
    try:
        body = r.json()
    except ValueError:
        body = {}
    if r.status_code != 200 or not isinstance(body, dict):
        reason = body.get("error_description") or body.get("error") if isinstance(body, dict) else None
        raise SsoFailed(f"The identity provider refused to complete the sign-in ({reason or r.status_code}). "
                        "Start again; if it happens again, ask your administrator.")
    id_token = body.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise SsoFailed("The identity provider sent no ID token. Ask your administrator to check the "
                        "application asks for the openid scope.")
    return id_token


def validate_id_token(provider: SsoProvider, doc: dict[str, Any], id_token: str, nonce: str) -> dict[str, Any]:
    """Verify the ID token's signature with the provider's keys, then its issuer, audience, expiry and nonce."""
    try:
        try:
            token = jwt.decode(id_token, _keys(doc), algorithms=list(ALGORITHMS))
        except InvalidKeyIdError:  # the provider has rotated its keys since they were cached
            token = jwt.decode(id_token, _keys(doc, fresh=True), algorithms=list(ALGORITHMS))
    except BadSignatureError as exc:
        raise SsoFailed("The sign-in was refused: the identity token's signature does not match the "
                        "identity provider's keys.") from exc
    except (JoseError, ValueError, KeyError) as exc:
        raise SsoFailed(f"The sign-in was refused: the identity token cannot be read ({exc}).") from exc
    claims = token.claims
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": provider.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise SsoFailed("The sign-in was refused: the identity token has expired. Start again.") from exc
    except (InvalidClaimError, MissingClaimError) as exc:
        claim = getattr(exc, "claim", "") or str(exc)
        messages = {
            "aud": "the identity token was issued for another application (wrong audience)",
            "iss": "the identity token was issued by another identity provider (wrong issuer)",
            "nonce": "the identity token does not belong to this sign-in (wrong nonce)",
        }
        reason = messages.get(claim, f"the identity token's {claim!r} claim is missing or wrong")
        raise SsoFailed(f"The sign-in was refused: {reason}. Start again.") from exc
    except JoseError as exc:
        raise SsoFailed(f"The sign-in was refused: the identity token is not valid ({exc}).") from exc
    aud = claims.get("aud")
    if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != provider.client_id:
        raise SsoFailed("The sign-in was refused: the identity token was issued for another application "
                        "(wrong authorised party).")
    return dict(claims)


def identity_from(provider: SsoProvider, claims: dict[str, Any]) -> Identity:
    """The person's email and name from the ID token, with the organisation's domain rule applied."""
    email = claims.get("email")
    if not email and "@" in str(claims.get("preferred_username", "")):
        email = claims["preferred_username"]  # Entra ID without the optional email claim (the UPN)
    email = str(email or "").strip().lower()
    if not email or "@" not in email:
        raise SsoFailed("The sign-in was refused: the identity provider did not send an email address. "
                        "Ask your administrator to add the email claim (see the single sign-on guide).")
    if claims.get("email_verified") is False:
        raise SsoFailed("The sign-in was refused: your identity provider says your email address is not verified.")
    domain = email.rpartition("@")[2]
    if domain not in provider.allowed_domains:
        raise SsoFailed(f"The sign-in was refused: {email} is not an address {provider.organisation.name} "
                        f"allows (allowed: {', '.join('@' + d for d in provider.allowed_domains)}).")
    name = str(claims.get("name") or " ".join(str(claims.get(k, "")) for k in ("given_name", "family_name")).strip()
               or email.split("@")[0])
    return Identity(provider.issuer, str(claims["sub"]), email, name[:200])


def complete(db: Session, *, state: str, cookie_state: str | None, code: str | None, error: str | None,
             callback: str) -> tuple[User, str]:
    """Finish a sign-in when the provider sends the browser back. Returns the user and where to go next.

    The stored request is deleted first, so the same ``state`` is refused a second time; the caller must
    commit even when this raises."""
    row = db.scalar(select(SsoRequest).where(SsoRequest.state_hash == token_hash(state))) if state else None
    if row is None:
        raise SsoFailed("This sign-in link has already been used or is not valid. Start the sign-in again.")
    db.delete(row)
    db.flush()
    if row.expires_at <= utcnow():
        raise SsoFailed("The sign-in took too long and has expired. Start again.")
    if not cookie_state or token_hash(cookie_state) != row.state_hash:
        raise SsoFailed("The sign-in was started in another browser or window. Start again from this one.")
    provider = db.get(SsoProvider, row.provider_id)
    if provider is None or not provider.enabled:
        raise SsoFailed("Single sign-on is switched off for this organisation.")
    if error:
        raise SsoFailed(f"The identity provider did not sign you in ({error}).")
    if not code:
        raise SsoFailed("The identity provider sent no authorisation code. Start again.")
    doc = discovery(provider)
    id_token = _exchange(provider, doc, code, row.code_verifier, callback)
    claims = validate_id_token(provider, doc, id_token, row.nonce)
    ident = identity_from(provider, claims)
    return _user_for(db, provider, ident), row.next_path


def _user_for(db: Session, provider: SsoProvider, ident: Identity) -> User:
    org = provider.organisation
    user = db.scalar(select(User).where(User.sso_issuer == ident.issuer, User.sso_subject == ident.subject))
    if user is None:
        by_email = db.scalar(select(User).where(func.lower(User.email) == ident.email))
        if by_email is not None:
            if by_email.sso_subject and (by_email.sso_issuer, by_email.sso_subject) != (ident.issuer, ident.subject):
                raise SsoFailed(f"The account {ident.email} is linked to another sign-in identity. "
                                "Ask your administrator.")
            if org.id not in {m.organisation_id for m in by_email.memberships}:
                raise SsoFailed(f"The account {ident.email} belongs to another organisation, so it cannot be "
                                f"signed in through {org.name}. Ask your administrator.")
            by_email.sso_issuer, by_email.sso_subject = ident.issuer, ident.subject
            audit.record(db, "sso.link", actor=by_email, organisation_id=org.id, object_type="user",
                         object_id=by_email.id, detail={"issuer": ident.issuer})
            user = by_email
    if user is not None:
        if not user.is_active:
            raise SsoFailed("This account is switched off. Ask your administrator.")
        user.last_login_at = utcnow()
        return user
    if provider.first_role:
        user = _create(db, provider, ident, provider.first_role, actor=None)
        return user
    approval = db.scalar(select(SsoApproval).where(SsoApproval.provider_id == provider.id,
                                                   SsoApproval.subject == ident.subject))
    if approval is not None and approval.status == "refused":
        raise SsoFailed(f"An administrator of {org.name} has refused this account's access to Boroughs.")
    if approval is None:
        approval = SsoApproval(provider_id=provider.id, subject=ident.subject, email=ident.email, name=ident.name,
                               status="pending")
        db.add(approval)
        db.flush()
        audit.record(db, "sso.approval_requested", organisation_id=org.id, object_type="sso_approval",
                     object_id=approval.id, detail={"email": ident.email})
    raise SsoPending(f"Thank you, {ident.name}. This is your first sign-in, so an administrator of {org.name} "
                     "must approve your account. You can sign in once they have.")


def _create(db: Session, provider: SsoProvider, ident: Identity, role: str, actor: User | None) -> User:
    user = User(email=ident.email, name=ident.name, password_hash=None, sso_issuer=ident.issuer,
                sso_subject=ident.subject, is_active=True, last_login_at=utcnow() if actor is None else None)
    db.add(user)
    db.flush()
    db.add(Membership(user_id=user.id, organisation_id=provider.organisation_id, role=role))
    db.flush()
    db.refresh(user)
    audit.record(db, "sso.account_created", actor=actor or user, organisation_id=provider.organisation_id,
                 object_type="user", object_id=user.id, detail={"role": role, "issuer": ident.issuer})
    return user


# ---------------------------------------------------------------- approvals


def pending(db: Session, org_id: int) -> list[SsoApproval]:
    return list(db.scalars(select(SsoApproval).join(SsoProvider).where(
        SsoProvider.organisation_id == org_id, SsoApproval.status == "pending").order_by(SsoApproval.id)))


def decide(db: Session, approval_id: int, *, approve: bool, role: str | None = None,
           actor: User | None = None) -> SsoApproval:
    """Approve (with a role) or refuse a first sign-in waiting for an administrator."""
    approval = db.get(SsoApproval, approval_id)
    if approval is None or approval.status != "pending":
        raise NotFound("There is no such sign-in waiting for approval.")
    provider = approval.provider
    if approve:
        allowed = {r.value for r in ROLES_BY_KIND[OrgKind(provider.organisation.kind)]}
        if role not in allowed:
            raise ValidationFailed(f"Choose the role to give {approval.name}: one of {', '.join(sorted(allowed))}.")
        if db.scalar(select(User).where(func.lower(User.email) == approval.email)) is not None:
            raise ValidationFailed(f"An account for {approval.email} already exists; change its roles instead.")
        _create(db, provider, Identity(provider.issuer, approval.subject, approval.email, approval.name), role,
                actor=actor)
    approval.status = "approved" if approve else "refused"
    approval.role = role if approve else None
    approval.decided_at = utcnow()
    approval.decided_by_id = actor.id if actor is not None else None
    audit.record(db, "sso.approve" if approve else "sso.refuse", actor=actor, organisation_id=provider.organisation_id,
                 object_type="sso_approval", object_id=approval.id, detail={"email": approval.email, "role": role})
    db.flush()
    return approval
