"""Passwords, sign-in sessions and throttling. No web framework here: ``boroughs.web`` uses these.

- Passwords are hashed with Argon2id (argon2-cffi defaults), 12 to 128 characters, not on the shipped
  list of common passwords, not the published demo password, not the user's own email or name, not a few
  characters repeated, and hard to guess by zxcvbn's estimate (score 3 or more).
- A session is a random token; the browser holds it signed (``itsdangerous``) in an HttpOnly, SameSite=Lax
  cookie; the database holds only its SHA-256, its CSRF token and its expiry. Signing in always creates a
  new session (rotation), and signing out deletes it.
- Throttling: after ``login_max_failures`` failed attempts an account is locked for ``login_lock_minutes``;
  one address may try at most ``login_ip_limit_per_hour`` times an hour (the address is the peer's, or the
  one a proxy in ``BOROUGHS_TRUSTED_PROXIES`` reports). A locked account gets the same message as a wrong
  password; the lock is logged and audited for administrators.
- Single sign-on later: ``User.sso_issuer``/``sso_subject`` hold an OIDC identity; ``start_session`` is
  what an OIDC callback would call after validating the ID token.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import logging
import secrets
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload

from boroughs.config import get_settings
from boroughs.core.db import utcnow
from boroughs.core.errors import ValidationFailed
from boroughs.core.models import LoginAttempt, LoginSession, User

MIN_PASSWORD_LENGTH = 12
log = logging.getLogger("boroughs.auth")
_hasher = PasswordHasher()


@lru_cache
def common_passwords() -> frozenset[str]:
    data = resources.files("boroughs.core.resources").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())

# The demo accounts' password, published in the README: refused for every other account.
DEMO_PASSWORD = "demo-password-for-boroughs"



MAX_PASSWORD_LENGTH = 128  # long enough for any passphrase; stops a huge one costing the server
MIN_ZXCVBN_SCORE = 3  # zxcvbn's "safely unguessable" (about 10^8 guesses or more)
DEPLOYMENT_WORDS = ("boroughs", "london", "council", "borough")


def _published_passwords() -> set[str]:
    return {DEMO_PASSWORD}


def password_problems(password: str, *, email: str = "", name: str = "", extra_words: tuple[str, ...] = ()) -> list[str]:
    """Why ``password`` is too weak (empty when it is fine).

    The shipped list of common passwords, zxcvbn's estimate of how guessable it is (fed the user's own
    name and email and the deployment's words, so passwords built from them score low), repeated or
    sequential characters, the demo password published in the README, and a maximum length.
    """
    import zxcvbn

    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"]
    lowered = password.lower()
    if lowered in common_passwords() or lowered.rstrip("0123456789!") in common_passwords():
        problems.append("Password is too common: choose one that is not on lists of leaked passwords")
    if password in _published_passwords():
        problems.append("Password is the published demo password: choose your own")
    local = email.split("@")[0].lower()
    name_parts = [p for p in name.lower().replace("-", " ").split() if len(p) >= 3]
    squashed = "".join(c for c in lowered if c.isalnum())
    if ((local and len(local) >= 4 and local in lowered) or (name and name.lower().replace(" ", "") == lowered)
            or (name_parts and "".join(name_parts) in squashed)):
        problems.append("Password must not contain your email address or name")
    if len(set(password)) < 5 or len(password.strip()) == 0:
        problems.append("Password must not be made of the same few characters repeated")
    words = [w for w in (local, *email.lower().replace("@", " ").replace(".", " ").split(), *name_parts,
                         *DEPLOYMENT_WORDS, *(x.lower() for x in extra_words)) if len(w) >= 3]
    rest = lowered
    for w in sorted(words, key=len, reverse=True):
        rest = rest.replace(w, "")
    if not problems and sum(c.isalpha() for c in rest) < 4:
        problems.append("Password must not be made of the service's name, your name or your email address")
    if not problems and len(password) >= MIN_PASSWORD_LENGTH:
        result = zxcvbn.zxcvbn(password[:100], user_inputs=words)
        if result["score"] < MIN_ZXCVBN_SCORE:
            why = result["feedback"].get("warning") or ""
            problems.append("Password is too easy to guess" + (f" ({why.rstrip('.').lower()})" if why else "")
                            + ": use three or four unrelated words, or a password manager")
    return problems


def hash_password(password: str, *, email: str = "", name: str = "", extra_words: tuple[str, ...] = ()) -> str:
    problems = password_problems(password, email=email, name=name, extra_words=extra_words)
    if problems:
        raise ValidationFailed(". ".join(problems) + ".")
    return _hasher.hash(password)


def hash_demo_password() -> str:
    """The demo accounts' hash of the published demo password (only ``boroughs.core.demo`` uses this; the
    demo seed refuses to run outside demo mode). Every other new password equal to it is refused."""
    return _hasher.hash(DEMO_PASSWORD)


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
        # the same message (and the same time spent) as a wrong password: it must not tell which accounts exist
        verify_password(None, password)
        db.add(LoginAttempt(ip=ip, email=email, success=False, at=now))
        log.info("sign-in refused for %s: the account is locked until %s", email, user.locked_until.isoformat())
        raise SignInRefused(GENERIC_FAILURE)
    ok = verify_password(user.password_hash if user else None, password)
    db.add(LoginAttempt(ip=ip, email=email, success=ok and user is not None and user.is_active, at=now))
    if user is None or not ok or not user.is_active:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= settings.login_max_failures:
                user.locked_until = now + dt.timedelta(minutes=settings.login_lock_minutes)
                user.failed_logins = 0
                # administrators see the lock (admin pages, audit trail, log); the person signing in does not
                log.warning("account %s locked for %s minutes after %s failed sign-ins", email,
                            settings.login_lock_minutes, settings.login_max_failures)
                from boroughs.core import audit

                audit.record(db, "auth.account_locked", object_type="user", object_id=user.id,
                             organisation_id=None, detail={"email": email, "minutes": settings.login_lock_minutes})
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


def find_signed_in(db: Session, token: str) -> tuple[LoginSession, User] | None:
    """The live session for ``token`` and its active user, in one query (every signed-in page asks)."""
    found = db.execute(select(LoginSession, User).join(User, User.id == LoginSession.user_id)
                       .options(joinedload(User.memberships))  # with each membership's organisation (joined)
                       .where(LoginSession.token_hash == token_hash(token), User.is_active.is_(True))).unique().first()
    if found is None or found[0].expires_at <= utcnow():
        return None
    return found[0], found[1]


def end_session(db: Session, token: str) -> None:
    db.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))


def purge_expired_sessions(db: Session) -> int:
    result = db.execute(delete(LoginSession).where(LoginSession.expires_at <= utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
