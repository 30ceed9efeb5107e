"""Database engine, sessions and the declarative base every area's models share.

Table names carry their area as a prefix (``core_``, ``inclusion_``, ``support_``, ``fund_``) so that each
area's Alembic branch autogenerates only its own tables (see ``migrations/env.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
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
    return create_engine(url, pool_pre_ping=True, **_pool_args(url))


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
