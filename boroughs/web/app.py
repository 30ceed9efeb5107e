"""The FastAPI app factory: ``create_app(areas)``. The composition root (:mod:`boroughs.app`) calls it with
the installed areas; ``boroughs serve`` runs the result with Uvicorn.

Routes: the core pages and API in ``boroughs.web.routes``; each area adds its own from its ``routes``
module (an ``APIRouter`` named ``router``, plus optional ``NAV`` entries for the service navigation and
``PRELOAD`` warm-ups). See ``docs/developing.md``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

import boroughs
from boroughs.config import get_settings
from boroughs.core import audit_checkpoints, audit_key
from boroughs.core.area import Area
from boroughs.core.db import get_engine, session_factory
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.web import deps, security_headers, templating
from boroughs.web.middleware import BoroughsMiddleware
from boroughs.web.static_files import GzipStaticFiles
from boroughs.web.templating import render

log = logging.getLogger("boroughs.web")
STATIC = Path(__file__).resolve().parent / "static"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _error(request: Request, status: int, title: str, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "errors/error.html", {"status": status, "title": title, "message": message}, status)


def _busy_response(request: Request) -> Response:
    """503: the service is at capacity (every database connection or request slot is in use)."""
    response = _error(request, 503, "Sorry, the service is busy",
                      "Too many people are using the service at the moment. Wait a minute and try again.")
    response.headers["Retry-After"] = "30"
    return response


_STATIC_LINK = re.compile(r'(?:src|href)="(/static/[^"?#]+)')


@asynccontextmanager
async def _preloading(app: FastAPI) -> AsyncIterator[None]:
    """Issue 13: warm what the first visit needs (in a worker thread: never block the event loop), then
    ask for each area's ``WARM`` pages once, in-process: the first request otherwise pays for FastAPI's
    route set-up, the templates' compilation and the database's first connection (over a second). The
    scripts and styles those pages link to are asked for too, so that each is gzipped before the first
    visit (MapLibre GL JS alone took 60 ms)."""
    for module in app.state.area_routes:
        for job in getattr(module, "PRELOAD", ()):
            try:
                await anyio.to_thread.run_sync(job, app.state.sessions)
            except Exception:  # a failed warm-up only means the first request does the work
                log.exception("preloading %s failed", getattr(job, "__name__", job))
    paths = [path for module in app.state.area_routes for path in getattr(module, "WARM", ())]
    if paths:
        import httpx

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
            linked: set[str] = set()
            for path in paths:
                try:
                    page = await client.get(path)
                    linked.update(_STATIC_LINK.findall(page.text))
                except Exception:
                    log.exception("warming %s failed", path)
            for path in sorted(linked):
                try:
                    await client.get(path, headers={"accept-encoding": "gzip"})
                except Exception:
                    log.exception("warming %s failed", path)
    yield


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While serving: a signed audit checkpoint every minute when one is due, and a last one on the way out;
    first, when the app was made with ``preload``, each area's warm-up (issue 13)."""
    if app.state.preload:
        async with _preloading(app):
            pass
    # What start-up loaded (the map's data, templates, the models) lives as long as the server: the garbage
    # collector need not look through it again on every full collection, each a pause for every request
    # waiting behind it.
    gc.collect()
    gc.freeze()

    path = audit_checkpoints.checkpoint_path()  # this server's checkpoint file, fixed while it runs

    async def every_minute() -> None:
        while True:
            await asyncio.sleep(60)
            await run_in_threadpool(audit_checkpoints.maybe_write, app.state.engine, 0, path)

    task = asyncio.create_task(every_minute())
    try:
        yield
    finally:
        task.cancel()
        try:
            await run_in_threadpool(lambda: audit_checkpoints.write_checkpoint(app.state.engine, path=path))
        except Exception:
            log.exception("could not write the audit checkpoint at shut-down")


def create_app(areas: Sequence[Area], engine: Engine | None = None, *, preload: bool = False) -> FastAPI:
    """The app with the core's pages and each area's. ``preload`` (``boroughs serve`` with
    ``BOROUGHS_MAP_PRELOAD``, on by default) runs each area's ``PRELOAD`` callables (from its ``routes``
    module) while starting, before the first request is served."""
    settings = get_settings()
    audit_key.audit_key()  # refuse to start without an audit key (outside demo mode)
    engine = engine or get_engine()
    app = FastAPI(
        title="Boroughs",
        version=boroughs.__version__,
        description="Digital inclusion, preventative support and a collaborative fund for London councils.",
        docs_url=None,  # /api/docs is served by boroughs.web.routes.api_docs from the vendored Swagger UI
        openapi_url="/api/openapi.json",
        redoc_url=None,
        dependencies=[Depends(deps.load_context)],
        lifespan=_lifespan,
    )
    app.state.engine = engine
    app.state.preload = preload
    app.state.areas = tuple(areas)
    app.state.area_routes = [m for m in (a.routes_module() for a in areas) if m is not None]
    templating.use_areas(areas)
    app.state.sessions = session_factory(engine)
    app.state.settings = settings
    # Level 3: a 60 KB page compresses in a third of the time of zlib's default 6 (0.19 against 0.56 ms) and
    # comes out 15% larger (7.2 against 6.3 KB). The map's data and static files are compressed once, ahead.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=3)

    app.add_middleware(BoroughsMiddleware, sessions=app.state.sessions, anon_cookie=deps.ANON_COOKIE,
                       secure=settings.secure_cookies, max_concurrent=settings.max_concurrent_requests,
                       queue_seconds=settings.request_queue_seconds, busy=_busy_response,
                       thread_pool_size=settings.thread_pool_size, headers=security_headers.headers_for(settings),
                       docs_csp=security_headers.docs_policy().encode(), slot_seconds=settings.request_slot_seconds,
                       max_running=settings.db_pool_size)

    app.mount("/static", GzipStaticFiles(directory=STATIC), name="static")
    # GOV.UK Frontend's stylesheet asks for its fonts and images under /assets/
    app.mount("/assets", StaticFiles(directory=STATIC / "vendor" / "govuk-frontend" / "assets"), name="assets")

    from boroughs.web.routes import admin, api, api_docs, auth, notifications, pages, sso

    nav: list[dict[str, str]] = [{"text": "Home", "href": "/"}]
    for router in (pages.router, auth.router, sso.router, admin.router, api.router, api_docs.router,
                   notifications.router):
        app.include_router(router)
    for module in app.state.area_routes:
        app.include_router(module.router)
        nav.extend(getattr(module, "NAV", []))
    nav.append({"text": "Admin", "href": "/admin", "needs": "admin.view"})
    app.state.nav = nav

    @app.exception_handler(deps.NotSignedIn)
    def _not_signed_in(request: Request, exc: deps.NotSignedIn) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "Sign in first."}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)

    @app.exception_handler(deps.CsrfFailed)
    def _csrf(request: Request, exc: deps.CsrfFailed) -> Response:
        return _error(request, 400, "Your form has expired",
                      "The form was open too long or was sent from another site. Go back, refresh the page and try again.")

    @app.exception_handler(PermissionDenied)
    def _forbidden(request: Request, exc: PermissionDenied) -> Response:
        return _error(request, 403, "You cannot see this page", str(exc) or "You do not have permission.")

    @app.exception_handler(NotFound)
    def _not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, "Page not found", str(exc))

    @app.exception_handler(ValidationFailed)
    def _invalid(request: Request, exc: ValidationFailed) -> Response:
        return _error(request, 422, "There is a problem", str(exc))

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        if exc.status_code == 404:
            return _error(request, 404, "Page not found",
                          "If you typed the web address, check it is correct. If you pasted it, check you copied all of it.")
        if exc.status_code == 403:
            return _error(request, 403, "You cannot see this page", str(exc.detail))
        return _error(request, exc.status_code, "There is a problem", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    def _request_invalid(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) for e in exc.errors())
        return _error(request, 422, "There is a problem", f"Check these fields and try again: {fields}.")

    @app.exception_handler(SQLAlchemyTimeoutError)
    def _busy(request: Request, exc: SQLAlchemyTimeoutError) -> Response:
        log.warning("no database connection free within %ss on %s", settings.db_pool_timeout, request.url.path)
        return _busy_response(request)

    @app.exception_handler(Exception)
    def _server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return _error(request, 500, "Sorry, there is a problem with the service",
                      "Try again later. If it keeps happening, tell your administrator the time it happened.")

    return app
