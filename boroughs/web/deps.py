"""Request dependencies: the database session, the signed-in user and CSRF protection.

Every route gets ``request.state.user`` (``None`` when signed out) and ``request.state.csrf_token`` from
``load_context``, which the app runs for every request. State-changing requests (POST, PUT, PATCH, DELETE)
must carry the CSRF token in a form field ``csrf_token`` or a header ``X-CSRF-Token``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.config import get_settings
from boroughs.core import auth, permissions
from boroughs.core.errors import PermissionDenied
from boroughs.core.models import User

SESSION_COOKIE = "boroughs_session"
ANON_COOKIE = "boroughs_anon"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class NotSignedIn(Exception):
    """Raised for pages that need a signed-in user; the app redirects to the sign-in page."""


class CsrfFailed(Exception):
    """The form's CSRF token is missing or wrong."""


def serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt="boroughs-session")


def get_db(request: Request) -> Session:
    """The request's database session (created on first use; closed by ``boroughs.web.middleware``).

    It is committed when the response is a success or a redirect (status < 400) and rolled back otherwise,
    so a failed request changes nothing. A route that must keep something on an error response (a failed
    sign-in attempt) commits it itself.
    """
    db: Session | None = getattr(request.state, "db", None)
    if db is None:
        db = request.state.session_factory()
        request.state.db = db
    return db


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _anon_csrf(anon: str) -> str:
    return hmac.new(get_settings().secret_key.encode(), f"csrf:{anon}".encode(), hashlib.sha256).hexdigest()


async def load_context(request: Request, response: Response, db: Session = Depends(get_db)) -> None:
    request.state.user = None
    request.state.session_token = None
    token = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        try:
            token = serializer().loads(raw)
        except BadSignature:
            token = None
    row = auth.find_session(db, token) if token else None
    if row is not None and row.user_id is not None:
        user = db.get(User, row.user_id)
        if user is not None and user.is_active:
            request.state.user = user
            request.state.session_token = token
            request.state.csrf_token = row.csrf_token
    if request.state.user is None:
        anon = request.cookies.get(ANON_COOKIE)
        if not anon:
            anon = secrets.token_urlsafe(24)
            request.state.new_anon_cookie = anon
        request.state.csrf_token = _anon_csrf(anon)
    if request.method in UNSAFE:
        sent = request.headers.get("x-csrf-token")
        if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
        if not sent or not hmac.compare_digest(sent, request.state.csrf_token):
            raise CsrfFailed()


def require_user(request: Request) -> User:
    user: User | None = request.state.user
    if user is None:
        raise NotSignedIn()
    return user


def require(action: str, owner_org_id: int | None = None):  # type: ignore[no-untyped-def]
    """A dependency that lets the route run only when the user may take ``action``."""

    def check(request: Request) -> User:
        user = require_user(request)
        if not permissions.can(user, action, owner_org_id):
            raise PermissionDenied(f"You do not have permission to {permissions.ACTIONS[action].description or action}.")
        return user

    return check


def set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        serializer().dumps(token),
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


async def form_data(request: Request) -> FormData:
    """The submitted form, read on the event loop so that the route itself can be a plain (threaded) ``def``."""
    return await request.form()
