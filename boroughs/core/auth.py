"""Passwords, sign-in sessions and throttling. No web framework here: ``boroughs.web`` uses these.

- Passwords are hashed with Argon2id (argon2-cffi defaults), at least 12 characters, not on the shipped
  list of common passwords, and not the user's own email or name.
- A session is a random token; the browser holds it signed (``itsdangerous``) in an HttpOnly, SameSite=Lax
  cookie; the database holds only its SHA-256, its CSRF token and its expiry. Signing in always creates a
  new session (rotation), and signing out deletes it.
- Throttling: after ``login_max_failures`` failed attempts an account is locked for ``login_lock_minutes``;
  one address may try at most ``login_ip_limit_per_hour`` times an hour.
- Single sign-on later: ``User.sso_issuer``/``sso_subject`` hold an OIDC identity; ``start_session`` is
  what an OIDC callback would call after validating the ID token.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import secrets
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from boroughs.config import get_settings
from boroughs.core.db import utcnow
from boroughs.core.errors import ValidationFailed
from boroughs.core.models import LoginAttempt, LoginSession, User

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()


@lru_cache
def common_passwords() -> frozenset[str]:
    data = resources.files("boroughs.core.resources").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Password must be at least {MIN_PASSWORD_LENGTH} characters long")
    lowered = password.lower()
    if lowered in common_passwords() or lowered.rstrip("0123456789!") in common_passwords():
        problems.append("Password is too common: choose one that is not on lists of leaked passwords")
    local = email.split("@")[0].lower()
    if (local and len(local) >= 4 and local in lowered) or (name and name.lower().replace(" ", "") == lowered):
        problems.append("Password must not contain your email address or name")
    return problems


def hash_password(password: str, *, email: str = "", name: str = "") -> str:
    problems = password_problems(password, email=email, name=name)
    if problems:
        raise ValidationFailed(". ".join(problems) + ".")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        _hasher.hash(password)  # spend the same time whether or not the account exists
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignInRefused(Exception):
    """Sign-in failed; the message is safe to show (it never says whether the account exists)."""


GENERIC_FAILURE = "Enter a correct email address and password"


def authenticate(db: Session, email: str, password: str, ip: str) -> User:
    """Check a sign-in attempt, applying throttling; return the user or raise ``SignInRefused``."""
    settings = get_settings()
    now = utcnow()
    email = email.strip().lower()
    hour_ago = now - dt.timedelta(hours=1)
    recent = db.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.ip == ip, LoginAttempt.at >= hour_ago, LoginAttempt.success.is_(False)
        )
    ) or 0
    if recent >= settings.login_ip_limit_per_hour:
        raise SignInRefused("Too many attempts to sign in from your network. Try again in an hour.")
    user = db.scalar(select(User).where(func.lower(User.email) == email))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        db.add(LoginAttempt(ip=ip, email=email, success=False, at=now))
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise SignInRefused(
            f"This account is locked after too many failed attempts. Try again in {minutes} minutes, "
            "or ask your administrator to unlock it."
        )
    ok = verify_password(user.password_hash if user else None, password)
    db.add(LoginAttempt(ip=ip, email=email, success=ok and user is not None and user.is_active, at=now))
    if user is None or not ok or not user.is_active:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= settings.login_max_failures:
                user.locked_until = now + dt.timedelta(minutes=settings.login_lock_minutes)
                user.failed_logins = 0
        raise SignInRefused(GENERIC_FAILURE)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = _hasher.hash(password)
    return user


def start_session(db: Session, user: User, ip: str | None = None) -> tuple[str, LoginSession]:
    """Create a fresh session (never reuse one from before sign-in). Returns the raw token and the row."""
    token = secrets.token_urlsafe(32)
    row = LoginSession(
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + dt.timedelta(hours=get_settings().session_hours),
        ip=ip,
    )
    db.add(row)
    db.flush()
    return token, row


def find_session(db: Session, token: str) -> LoginSession | None:
    row = db.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    if row is None or row.expires_at <= utcnow():
        return None
    return row


def end_session(db: Session, token: str) -> None:
    db.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))


def purge_expired_sessions(db: Session) -> int:
    result = db.execute(delete(LoginSession).where(LoginSession.expires_at <= utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
