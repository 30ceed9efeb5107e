"""Plain ASGI middleware (cheaper than ``BaseHTTPMiddleware``): a database session per request, committed
or rolled back *before* the response starts, and security headers.

The session is created lazily by ``boroughs.web.deps.get_db``; a request that never touches the database
costs nothing here. It is committed when the response status is below 400 and rolled back otherwise.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class RequestState(dict[str, Any]):
    """``scope["state"]``: what ``request.state`` reads and writes."""


class BoroughsMiddleware:
    def __init__(self, app: ASGIApp, sessions: sessionmaker[Session], anon_cookie: str, secure: bool) -> None:
        self.app = app
        self.sessions = sessions
        self.anon_cookie = anon_cookie
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        state["session_factory"] = self.sessions
        path: str = scope.get("path", "")
        cacheable = path.startswith(("/static/", "/assets/", "/api/docs"))

        async def finish(status: int) -> None:
            db: Session | None = state.pop("db", None)
            if db is None:
                return
            try:
                if status < 400 and db.in_transaction():
                    await run_in_threadpool(db.commit)
                elif db.in_transaction():
                    await run_in_threadpool(db.rollback)
            finally:
                await run_in_threadpool(db.close)

        async def wrapped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                await finish(int(message["status"]))
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                for k, v in SECURITY_HEADERS:
                    if k not in names:
                        headers.append((k, v))
                if not cacheable and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                anon = state.get("new_anon_cookie")
                if anon:
                    cookie: SimpleCookie = SimpleCookie()
                    cookie[self.anon_cookie] = anon
                    morsel = cookie[self.anon_cookie]
                    morsel["path"] = "/"
                    morsel["httponly"] = True
                    morsel["samesite"] = "lax"
                    if self.secure:
                        morsel["secure"] = True
                    headers.append((b"set-cookie", morsel.OutputString().encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, wrapped_send)
        except BaseException:
            db = state.pop("db", None)
            if db is not None:
                await run_in_threadpool(db.rollback)
                await run_in_threadpool(db.close)
            raise
