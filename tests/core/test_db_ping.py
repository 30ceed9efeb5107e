"""PostgreSQL: a pooled connection idle for ``BOROUGHS_DB_PING_IDLE_SECONDS`` is checked before use and
replaced when the server dropped it; one in steady use is not checked (it was just used successfully)."""

from __future__ import annotations

import pytest
from sqlalchemy import exc, text

from boroughs.config import reset_settings
from boroughs.core.db import make_engine


def _backend_pid(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return int(c.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _drop(admin_url: str, pid: int) -> None:
    admin = make_engine(admin_url)
    with admin.connect() as c:
        assert c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one() is True
    admin.dispose()


@pytest.fixture
def pg_engine(pg_url, monkeypatch):  # type: ignore[no-untyped-def]
    def make(idle_seconds: float):  # type: ignore[no-untyped-def]
        monkeypatch.setenv("BOROUGHS_DB_PING_IDLE_SECONDS", str(idle_seconds))
        monkeypatch.setenv("BOROUGHS_DB_POOL_SIZE", "1")
        reset_settings()
        return make_engine(pg_url)

    engines = []
    yield lambda idle: engines.append(make(idle)) or engines[-1]
    for e in engines:
        e.dispose()
    reset_settings()


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(pg_url, pg_engine):
    engine = pg_engine(0)  # every checkout counts as idle
    first = _backend_pid(engine)
    _drop(pg_url, first)
    second = _backend_pid(engine)  # no error: the check found the dead connection and the pool made a new one
    assert second != first


def test_a_connection_in_steady_use_is_not_checked(pg_url, pg_engine):
    engine = pg_engine(3600)  # never idle long enough: no check, so a dropped connection shows on first use
    first = _backend_pid(engine)
    assert _backend_pid(engine) == first  # the same pooled connection, reused
    _drop(pg_url, first)
    with pytest.raises(exc.DBAPIError) as caught:
        _backend_pid(engine)
    assert caught.value.connection_invalidated  # SQLAlchemy throws the dead connection away ...
    assert _backend_pid(engine) != first  # ... and the next use gets a new one
