"""Plain ASGI middleware (cheaper than ``BaseHTTPMiddleware``): a database session per request, committed
or rolled back *before* the response starts, and security headers.

The session is created lazily by ``boroughs.web.deps.get_db``; a request that never touches the database
costs nothing here. It is committed when the response status is below 400 and rolled back otherwise.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

import anyio.to_thread
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


log = logging.getLogger("boroughs.web")
# Requests that need no database session and no request slot.
UNLIMITED = ("/static/", "/assets/", "/healthz")


def _close_after_error(db: Session, user: Any) -> None:
    """Roll back, then reload the signed-in user so that the error page can still show who is signed in
    (a rollback expires every loaded object, and a closed session cannot reload them)."""
    try:
        db.rollback()
        if user is not None:
            try:
                db.refresh(user)
            except Exception:  # the database itself may be what failed
                log.warning("could not reload the signed-in user for the error page", exc_info=True)
    finally:
        db.close()


def _end(db: Session, commit: bool) -> None:
    """Commit (or roll back) and close the request's session, in one trip to the thread pool."""
    try:
        if db.in_transaction() and commit:
            db.commit()
        elif db.in_transaction():
            db.rollback()
    finally:
        db.close()


class RequestState(dict[str, Any]):
    """``scope["state"]``: what ``request.state`` reads and writes."""


class BoroughsMiddleware:
    def __init__(self, app: ASGIApp, sessions: sessionmaker[Session], anon_cookie: str, secure: bool,
                 max_concurrent: int = 30, queue_seconds: float = 10.0,
                 busy: Callable[[Request], Response] | None = None, thread_pool_size: int = 40,
                 headers: list[tuple[bytes, bytes]] | None = None, docs_csp: bytes = b"",
                 slot_seconds: float = 0.5, max_running: int = 20) -> None:
        self.app = app
        self.headers = headers if headers is not None else SECURITY_HEADERS
        self.docs_csp = docs_csp
        self.sessions = sessions
        self.anon_cookie = anon_cookie
        self.secure = secure
        # ``max_concurrent`` requests start at a time; the rest wait on the event loop, in order, holding no
        # thread and no connection, for up to ``queue_seconds``, then get a 503 page.
        self.max_concurrent = max_concurrent
        self.queue_seconds = queue_seconds
        # A request still running after ``slot_seconds`` (a PDF, a large upload) gives its slot to the next
        # one: a few slow requests never hold up everyone else (0 keeps the slot to the end). Never more than
        # ``max_running`` run at once (the connection pool's size), so an admitted request gets a connection.
        self.slot_seconds = slot_seconds
        self.max_running = max_running
        self.busy = busy
        self.thread_pool_size = thread_pool_size
        self._slots: asyncio.Semaphore | None = None
        self._running: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _slots_for_loop(self) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
        # created inside the running event loop (a test client may start a new loop per request)
        loop = asyncio.get_running_loop()
        if self._slots is None or self._running is None or self._loop is not loop:
            anyio.to_thread.current_default_thread_limiter().total_tokens = self.thread_pool_size
            self._slots = asyncio.Semaphore(self.max_concurrent)
            self._running = asyncio.Semaphore(max(self.max_concurrent, self.max_running))
            self._loop = loop
        return self._slots, self._running

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        state["session_factory"] = self.sessions
        path: str = scope.get("path", "")
        cacheable = path.startswith(("/static/", "/assets/"))  # /api/docs is a page like any other (it names who is signed in)
        if path.startswith(UNLIMITED):
            await self._handle(scope, receive, send, state, path, cacheable)
            return
        slots, running = self._slots_for_loop()
        deadline = asyncio.get_running_loop().time() + self.queue_seconds
        try:
            await asyncio.wait_for(running.acquire(), timeout=self.queue_seconds)
        except TimeoutError:
            await self._busy(scope, receive, send, path)
            return
        try:
            try:
                await asyncio.wait_for(slots.acquire(), timeout=max(0.0, deadline - asyncio.get_running_loop().time()))
            except TimeoutError:
                await self._busy(scope, receive, send, path)
                return
            released = False

            def give_back() -> None:
                nonlocal released
                if not released:
                    released = True
                    slots.release()

            timer = (asyncio.get_running_loop().call_later(self.slot_seconds, give_back)
                     if self.slot_seconds > 0 else None)
            try:
                await self._handle(scope, receive, send, state, path, cacheable)
            finally:
                if timer is not None:
                    timer.cancel()
                give_back()
        finally:
            running.release()

    async def _busy(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        log.warning("request slots all busy for %ss; answered 503 to %s", self.queue_seconds, path)
        if self.busy is None:
            response: Response = Response("Service busy", status_code=503, headers={"Retry-After": "30"})
        else:
            response = await run_in_threadpool(self.busy, Request(scope, receive))
        await response(scope, receive, send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, state: dict[str, Any], path: str,
                      cacheable: bool) -> None:

        async def finish(status: int) -> None:
            db: Session | None = state.pop("db", None)
            if db is None:
                return
            await run_in_threadpool(_end, db, status < 400)

        async def wrapped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                await finish(int(message["status"]))
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                for k, v in self.headers:
                    if k not in names:
                        if k == b"content-security-policy" and self.docs_csp and path.startswith("/api/docs"):
                            v = self.docs_csp
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
                await run_in_threadpool(_close_after_error, db, state.get("user"))
            raise
