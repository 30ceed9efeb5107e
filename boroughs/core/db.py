"""Database engine, sessions and the declarative base every area's models share.

Table names carry their area as a prefix (``core_``, ``inclusion_``, ``support_``, ``fund_``) so that each
area's Alembic branch autogenerates only its own tables (see ``migrations/env.py``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, exc, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from boroughs.config import get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use boroughs.core.db.utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _pool_args(url: str) -> dict[str, object]:
    """Pool sizes from the settings (``BOROUGHS_DB_POOL_SIZE``, ``..._MAX_OVERFLOW``, ``..._POOL_TIMEOUT``).

    A request that cannot get a connection within the timeout fails fast (the app answers 503) instead of
    waiting for ever. In-memory SQLite keeps SQLAlchemy's default (one connection per thread).
    """
    if url.startswith("sqlite") and (":memory:" in url or url.rstrip("/").endswith("sqlite:")):
        return {}
    s = get_settings()
    return {"pool_size": s.db_pool_size, "max_overflow": s.db_max_overflow, "pool_timeout": s.db_pool_timeout}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        from boroughs.core.sqlite_writers import QueuedConnection

        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30, "factory": QueuedConnection},
                               **_pool_args(url))

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    engine = create_engine(url, **_pool_args(url))
    _ping_when_idle(engine, get_settings().db_ping_idle_seconds)
    return engine


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection before use only when it has been idle for ``idle_seconds`` or more
    (``BOROUGHS_DB_PING_IDLE_SECONDS``): one that the server dropped meanwhile (a restart, an idle time-out)
    is replaced before the request uses it. SQLAlchemy's ``pool_pre_ping`` checks on every use, which cost
    three round trips a request on PostgreSQL; a connection in steady use was just used successfully."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):  # type: ignore[no-untyped-def]
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_conn.rollback()
        except Exception as e:  # the pool discards this connection and makes a new one (up to three tries)
            raise exc.DisconnectionError(f"a pooled connection was dropped by the server: {e}") from e


@lru_cache
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return _engine_for(get_settings().database_url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: work lands whole or not at all."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def analyze(session: Session, *tables: str) -> None:
    """Refresh the query planner's statistics for ``tables`` (table names from the models, never from
    input; every table if none), after a bulk load.

    PostgreSQL otherwise plans with the statistics from before the load until autovacuum catches up: on a
    freshly loaded demo, a resident's timeline took a scan of every event (17 ms) instead of an index
    lookup (0.1 ms). SQLite keeps its statistics (``sqlite_stat1``) the same way.
    """
    session.flush()
    if not tables:
        session.execute(text("ANALYZE"))
    elif session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE " + ", ".join(tables)))
    else:  # SQLite analyses one table (or the whole database) per statement
        for name in tables:
            session.execute(text(f"ANALYZE {name}"))


def ping(engine: Engine | None = None) -> bool:
    try:
        with (engine or get_engine()).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def reset_engines() -> None:
    _engine_for.cache_clear()
