"""Request dependencies: the database session, the signed-in user and CSRF protection.

Every route gets ``request.state.user`` (``None`` when signed out) and ``request.state.csrf_token`` from
``load_context``, which the app runs for every request. State-changing requests (POST, PUT, PATCH, DELETE)
must carry the CSRF token in a form field ``csrf_token`` or a header ``X-CSRF-Token``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from functools import lru_cache

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.config import get_settings
from boroughs.core import auth, permissions
from boroughs.core.errors import PermissionDenied, ValidationFailed
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


@lru_cache(maxsize=8)
def _trusted_networks(setting: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in setting.split(",") if p.strip())


def _is_trusted(address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in n for n in networks)


def client_ip(request: Request) -> str:
    """The address a request came from, for the per-address sign-in limit and the session record.

    ``X-Forwarded-For`` is believed only when the peer is one of ``BOROUGHS_TRUSTED_PROXIES`` (addresses or
    networks, comma-separated; default none): then the right-most address in it that is not itself a trusted
    proxy is the client. Anyone else could write any address there.
    """
    peer = request.client.host if request.client else "unknown"
    networks = _trusted_networks(get_settings().trusted_proxies)
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop
    return hops[0] if hops else peer


def _anon_csrf(anon: str) -> str:
    return hmac.new(get_settings().secret_key.encode(), f"csrf:{anon}".encode(), hashlib.sha256).hexdigest()


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token a state-changing request sent (header or form field), read on the event loop.

    No database work here: ``load_context`` (a plain ``def``, run in the thread pool) does that.
    """
    if request.method not in UNSAFE:
        return None
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    return sent


DB_INT_MIN, DB_INT_MAX = -(2**31), 2**31 - 1  # PostgreSQL's ``integer`` (SQLite's is wider)


def check_path_ids(request: Request) -> None:
    """Refuse (422) an integer path parameter outside the database's integer range.

    Without this a very large id reaches the database and fails there (a 500 page).
    """
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    for field in dependant.path_params:
        if field.field_info.annotation is not int:
            continue
        raw = str(request.path_params.get(field.name, "")).strip()
        try:
            value = int(raw)
        except ValueError:
            continue  # not a number at all: FastAPI's own validation answers 422
        if not DB_INT_MIN <= value <= DB_INT_MAX:
            raise ValidationFailed(f"There is nothing with the number {raw[:30]}{'...' if len(raw) > 30 else ''}: "
                                   "check the web address.")


def load_context(request: Request, response: Response, db: Session = Depends(get_db),
                 sent: str | None = Depends(submitted_csrf)) -> None:
    check_path_ids(request)
    request.state.user = None
    request.state.session_token = None
    token = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        try:
            token = serializer().loads(raw)
        except BadSignature:
            token = None
    found = auth.find_signed_in(db, token) if token else None
    if found is not None:
        row, user = found
        request.state.user = user
        request.state.session_token = token
        request.state.csrf_token = row.csrf_token
    if request.state.user is None:
        anon = request.cookies.get(ANON_COOKIE)
        if not anon:
            anon = secrets.token_urlsafe(24)
            request.state.new_anon_cookie = anon
        request.state.csrf_token = _anon_csrf(anon)
    if request.method in UNSAFE and (not sent or not hmac.compare_digest(sent, request.state.csrf_token)):
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
