"""Shared fixtures: the real data directory, real databases (SQLite and PostgreSQL), the web app.

Database tests take the ``engine`` fixture, which runs each test on SQLite *and* on PostgreSQL
(127.0.0.1:5432, database ``test``; ``BOROUGHS_TEST_PG`` overrides). When ``CI=true`` a PostgreSQL
that cannot be reached is a failure, not a skip.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from boroughs.config import get_settings, reset_settings
from boroughs.core.db import make_engine, reset_engines, session_factory
from boroughs.core.migrate import upgrade

IN_CI = os.environ.get("CI", "").lower() == "true"
# issue 11: the audit trail needs a key outside demo mode; tests use this test-only one, and write their audit
# checkpoints to a scratch folder (each test then gets its own file: see _isolated_settings)
TEST_AUDIT_KEY = "test-only-audit-key-for-the-boroughs-test-suite"
if not os.environ.get("BOROUGHS_AUDIT_KEY_FILE"):
    os.environ.setdefault("BOROUGHS_AUDIT_KEY", TEST_AUDIT_KEY)
os.environ.setdefault("BOROUGHS_AUDIT_CHECKPOINT_FILE",
                      str(Path(tempfile.mkdtemp(prefix="boroughs-audit-")) / "audit-checkpoints.jsonl"))
PG_ADMIN_URL = os.environ.get("BOROUGHS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def skip_or_fail(reason: str) -> None:
    """Skip a test locally; in CI (CI=true) a skipped PostgreSQL or browser test is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must run, not skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = get_settings().data_dir
    if not (path / "boundaries").is_dir():
        skip_or_fail(f"no data directory at {path}: set BOROUGHS_DATA_DIR to ../shared/data")
    return path


def _pg_available() -> bool:
    try:
        eng = make_engine(PG_ADMIN_URL)
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
        eng.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (and xdist worker), dropped afterwards."""
    if not _pg_available():
        skip_or_fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name = f"boroughs_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fresh_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "boroughs.db")


def _truncate_all(engine: Engine) -> None:
    from sqlalchemy import inspect

    from boroughs.core.db import Base

    existing = set(inspect(engine).get_table_names())
    tables = [t for t in Base.metadata.sorted_tables if t.name in existing]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for t in reversed(tables):
                conn.execute(t.delete())


@pytest.fixture(scope="session")
def _migrated_engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Engine]:
    return {}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _migrated_engines: dict[str, Engine],
) -> Iterator[Engine]:
    """A migrated, empty database: each test that takes it runs once on SQLite and once on PostgreSQL."""
    kind = request.param
    if kind not in _migrated_engines:
        url = request.getfixturevalue("pg_url") if kind == "postgresql" else _fresh_sqlite(tmp_path_factory)
        eng = make_engine(url)
        upgrade(eng)
        _migrated_engines[kind] = eng
        reset_settings()  # migrating reads the settings: a test may still change the environment after this
    eng = _migrated_engines[kind]
    _truncate_all(eng)
    yield eng


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    s = session_factory(engine)()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test starts from the environment's settings; a test may monkeypatch BOROUGHS_* freely.

    Each test has its own audit checkpoint file (issue 11), outside the test's own ``tmp_path`` so a test
    that checks what it wrote there sees only its own files.
    """
    checkpoints = tmp_path_factory.mktemp("audit") / "audit-checkpoints.jsonl"
    monkeypatch.setenv("BOROUGHS_AUDIT_CHECKPOINT_FILE", str(checkpoints))
    reset_settings()
    yield
    reset_settings()
    reset_engines()


@pytest.fixture(autouse=True)
def _wide_cli_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI output in tests never wraps (issue 17): whether a long path wrapped at 80 columns depended on the
    length of pytest's temporary directory, so a test passed or failed by machine. Consoles made from now on
    read COLUMNS (unless TERM=dumb); the module-level rich consoles already made get a fixed, generous width."""
    import sys

    from rich.console import Console

    monkeypatch.setenv("COLUMNS", "10000")
    monkeypatch.setenv("TERMINAL_WIDTH", "10000")
    for name, module in list(sys.modules.items()):
        if not name.startswith("boroughs") or module is None:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, Console):
                # Both are needed: with only a width, a dumb terminal (TERM=dumb) is still 80 columns wide.
                monkeypatch.setattr(value, "_width", 10000)
                monkeypatch.setattr(value, "_height", 25)
