"""Issue 11: no database work on the event loop, a bounded pool, and a fast 503 instead of a hang.

On real SQLite and PostgreSQL through the in-process client (which runs the app on a real event loop in
its own thread, exactly as Uvicorn does).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

import boroughs
from boroughs.app import create_app
from boroughs.config import reset_settings
from boroughs.core import geography
from boroughs.core.db import make_engine
from boroughs.core.demo import seed_core
from boroughs.web.deps import get_db, load_context
from tests.core.test_web import sign_in

PACKAGE = Path(boroughs.__file__).resolve().parent
DB_METHODS = {"execute", "scalar", "scalars", "commit", "rollback", "flush", "query", "refresh", "merge",
              "get_one", "connect", "begin"}


def _uses_db(dep: Dependant) -> bool:
    return dep.call is get_db or any(_uses_db(d) for d in dep.dependencies)


def _async_db_users(dep: Dependant, where: str) -> Iterator[str]:
    if dep.call is not None and inspect.iscoroutinefunction(dep.call) and _uses_db(dep):
        yield f"{where}: {dep.call.__module__}.{dep.call.__qualname__}"
    for d in dep.dependencies:
        yield from _async_db_users(d, where)


def _effective_routes(routes: list[Any]) -> Iterator[Any]:
    """Every route with the dependencies it really runs with (the app-wide ones included)."""
    for r in routes:
        candidates = getattr(r, "effective_candidates", None)  # FastAPI >= 0.16x: an included router
        if candidates is not None:
            yield from _effective_routes(candidates())
        elif getattr(r, "dependant", None) is not None:
            yield r


def test_no_async_route_or_dependency_depends_on_the_database(engine):
    app = create_app(engine)
    routes = list(_effective_routes(app.router.routes))
    assert len(routes) > 50  # every area's routes are there
    assert all(any(d.call is load_context for d in r.dependant.dependencies) for r in routes)
    bad = [b for r in routes for b in _async_db_users(r.dependant, f"{sorted(r.methods)} {r.path}")]
    assert bad == []


def test_the_dependency_walk_catches_an_async_database_dependency(engine):
    """The check above can fail: an ``async def`` that takes a session is reported."""
    from fastapi import Depends, Request
    from sqlalchemy.orm import Session

    app = create_app(engine)

    async def bad_dependency(request: Request, db: Session = Depends(get_db)) -> None:
        return None

    @app.get("/bad", dependencies=[Depends(bad_dependency)])
    def bad() -> dict[str, str]:
        return {}

    route = next(r for r in _effective_routes(app.router.routes) if r.path == "/bad")
    assert any("bad_dependency" in b for b in _async_db_users(route.dependant, "/bad"))


def _async_functions_calling_the_database(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr in DB_METHODS:
                found.append(f"{node.name} calls .{inner.func.attr}() (line {inner.lineno})")
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id in {
                    "get_db", "session_scope", "session_factory", "Session"}:
                found.append(f"{node.name} calls {inner.func.id}() (line {inner.lineno})")
    return found


def test_no_async_function_in_the_package_calls_the_database():
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        bad += [f"{path.relative_to(PACKAGE)}: {b}" for b in _async_functions_calling_the_database(path.read_text())]
    assert bad == []


def test_the_static_check_can_fail():
    src = "async def page(request, db):\n    return db.scalar(select(User))\n"
    assert _async_functions_calling_the_database(src) == ["page calls .scalar() (line 2)"]


def _watch_for_loop_use(eng: Engine) -> list[str]:
    """Record every SQL statement that runs on a thread with a running event loop (it would block it)."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        seen.append(statement.split("\n")[0][:80])

    event.listen(eng, "before_cursor_execute", before)
    return seen


@pytest.fixture
def seeded(engine, session, data_dir):
    geography.load_into(session, data_dir)
    seed_core(session)
    session.commit()
    return engine


def test_no_sql_runs_on_the_event_loop(seeded):
    on_loop = _watch_for_loop_use(seeded)
    app = create_app(seeded)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as c:
        assert sign_in(c, "admin@demo.boroughs.test").status_code == 303
        for path in ("/", "/admin", "/admin/audit", "/admin/organisations/1", "/healthz", "/support/residents/999", "/boom",
                     "/api/v1/geography/boroughs", "/fund"):
            c.get(path)
        c.post("/sign-out", data={"csrf_token": "wrong"})
    assert on_loop == []


def test_the_loop_watch_can_fail(seeded):
    on_loop = _watch_for_loop_use(seeded)

    async def bad() -> None:
        with seeded.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    # in a thread of its own: the test process may already run an event loop (pytest-playwright's)
    worker = threading.Thread(target=lambda: asyncio.run(bad()))
    worker.start()
    worker.join()
    assert on_loop == ["SELECT 1"]


def _small_pool_engine(engine: Engine, monkeypatch: pytest.MonkeyPatch, size: int, overflow: int,
                       timeout: float) -> Engine:
    monkeypatch.setenv("BOROUGHS_DB_POOL_SIZE", str(size))
    monkeypatch.setenv("BOROUGHS_DB_MAX_OVERFLOW", str(overflow))
    monkeypatch.setenv("BOROUGHS_DB_POOL_TIMEOUT", str(timeout))
    reset_settings()
    eng = make_engine(engine.url.render_as_string(hide_password=False))
    assert eng.pool.size() == size  # type: ignore[attr-defined]
    return eng


def test_many_signed_in_requests_with_a_small_pool_all_answer(seeded, monkeypatch):
    """The deadlock of issue 11: 24 concurrent signed-in requests through a pool of 2 connections."""
    monkeypatch.setenv("BOROUGHS_MAX_CONCURRENT_REQUESTS", "2")
    eng = _small_pool_engine(seeded, monkeypatch, 2, 0, 5)
    app = create_app(eng)
    with TestClient(app) as c:
        assert sign_in(c, "admin@demo.boroughs.test").status_code == 303
        start = time.monotonic()
        with ThreadPoolExecutor(24) as pool:
            codes = list(pool.map(lambda _: c.get(("/admin", "/admin/audit")[_ % 2]).status_code, range(48)))
        elapsed = time.monotonic() - start
        assert c.get("/healthz").status_code == 200
    eng.dispose()
    assert codes == [200] * 48
    assert elapsed < 60


def test_pool_exhaustion_is_a_fast_friendly_503(seeded, monkeypatch):
    eng = _small_pool_engine(seeded, monkeypatch, 1, 0, 0.5)
    app = create_app(eng)
    with TestClient(app) as c:
        assert sign_in(c, "admin@demo.boroughs.test").status_code == 303
        held = eng.connect()  # someone else holds the only connection
        try:
            start = time.monotonic()
            r = c.get("/admin")
            elapsed = time.monotonic() - start
        finally:
            held.close()
        assert c.get("/admin").status_code == 200  # and it recovers at once
    eng.dispose()
    assert r.status_code == 503 and "the service is busy" in r.text and r.headers["retry-after"] == "30"
    assert "govuk-heading-l" in r.text  # the GOV.UK error page, not a bare message
    assert elapsed < 5


def test_request_slots_full_is_a_503_after_the_queue_wait(seeded, monkeypatch):
    monkeypatch.setenv("BOROUGHS_MAX_CONCURRENT_REQUESTS", "1")
    monkeypatch.setenv("BOROUGHS_REQUEST_QUEUE_SECONDS", "0.3")
    monkeypatch.setenv("BOROUGHS_REQUEST_SLOT_SECONDS", "0")  # the slow request keeps its slot to the end
    reset_settings()
    app = create_app(seeded)
    release = threading.Event()

    @app.get("/slow")
    def slow() -> dict[str, str]:
        release.wait(10)
        return {"ok": "yes"}

    with TestClient(app) as c, ThreadPoolExecutor(2) as pool:
        first = pool.submit(c.get, "/slow")
        time.sleep(0.5)
        second = c.get("/", headers={"accept": "text/html"})
        release.set()
        assert first.result().status_code == 200
        assert c.get("/healthz").status_code == 200  # never queued
    assert second.status_code == 503 and "the service is busy" in second.text


def test_a_slow_request_gives_its_slot_to_the_next_after_the_slot_time(seeded, monkeypatch):
    """With one request at a time, a request still running after BOROUGHS_REQUEST_SLOT_SECONDS lets the next
    start (a PDF does not hold up the team); before that, the next waits its turn."""
    monkeypatch.setenv("BOROUGHS_MAX_CONCURRENT_REQUESTS", "1")
    monkeypatch.setenv("BOROUGHS_REQUEST_SLOT_SECONDS", "0.4")
    reset_settings()
    app = create_app(seeded)
    release = threading.Event()
    started: list[float] = []

    @app.get("/slow")
    def slow() -> dict[str, str]:
        started.append(time.monotonic())
        release.wait(10)
        return {"ok": "yes"}

    with TestClient(app) as c, ThreadPoolExecutor(2) as pool:
        submitted = time.monotonic()
        first = pool.submit(c.get, "/slow")
        while not started:
            time.sleep(0.01)
        second = c.get("/", headers={"accept": "text/html"})
        answered = time.monotonic()
        assert not first.done()  # the slow one is still running
        release.set()
        assert first.result().status_code == 200
    assert second.status_code == 200
    assert answered - submitted >= 0.38  # it waited for the slot time, then went ahead


def test_capacity_settings_are_used(monkeypatch, engine):
    import anyio.to_thread

    monkeypatch.setenv("BOROUGHS_THREAD_POOL_SIZE", "7")
    reset_settings()
    app = create_app(engine)

    @app.get("/tokens")
    async def tokens() -> dict[str, float]:
        return {"tokens": anyio.to_thread.current_default_thread_limiter().total_tokens}

    with TestClient(app) as c:
        c.get("/healthz")
        assert c.get("/tokens").json() == {"tokens": 7}
