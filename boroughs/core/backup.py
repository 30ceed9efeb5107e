"""Back up and restore the database: ``boroughs admin backup FILE`` and ``boroughs admin restore FILE``.

- **SQLite** (the embedded default): an online, consistent copy made with SQLite's own backup API (safe while
  the app is serving; WAL contents included), checked with ``PRAGMA integrity_check``.
- **PostgreSQL**: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists`` (the PostgreSQL client
  tools must be on ``PATH``, at the server's major version or newer).

A restore refuses a file that is not a Boroughs backup (no ``alembic_version`` table, or not a dump), and
replaces the database whole or not at all on SQLite. After restoring an older backup, run
``boroughs admin migrate``. The audit trail's checkpoint file lives outside the database on purpose: back it
up separately (see docs/runbook.md).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from boroughs.core.errors import BoroughsError


@dataclass(frozen=True)
class BackupResult:
    path: Path
    backend: str
    tables: int
    bytes: int

    def message(self) -> str:
        return f"Backed up the {self.backend} database ({self.tables} tables) to {self.path} ({self.bytes:,} bytes)."


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BoroughsError("An in-memory SQLite database cannot be backed up: set DATABASE_URL to a file.")
    return Path(database)


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def _check_sqlite_backup(path: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BoroughsError(f"{path} cannot be opened as a SQLite database: {exc}") from exc
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()
        tables = _sqlite_tables(conn)
    except sqlite3.DatabaseError as exc:
        raise BoroughsError(f"{path} is not a SQLite database ({exc}). Choose a file made by boroughs admin backup.") from exc
    finally:
        conn.close()
    if not ok or ok[0] != "ok":
        raise BoroughsError(f"{path} failed SQLite's integrity check ({ok[0] if ok else 'no answer'}).")
    if "alembic_version" not in tables:
        raise BoroughsError(f"{path} is a SQLite database but not a Boroughs one (it has no alembic_version table).")
    return len(tables)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BoroughsError(f"{name} is not installed: install the PostgreSQL client tools "
                            "(apt-get install -y postgresql-client) at your server's major version.")
    return found


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BoroughsError(f"{what} failed: {proc.stderr.strip() or proc.stdout.strip()}")


def backup(url: str, dest: Path) -> BackupResult:
    """Write a consistent copy of the database at ``url`` to ``dest`` (written atomically)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    if url.startswith("sqlite"):
        source = _sqlite_path(url)
        if not source.exists():
            raise BoroughsError(f"There is no database at {source} to back up.")
        src = sqlite3.connect(source)
        out = sqlite3.connect(partial)
        try:
            src.backup(out)
        finally:
            out.close()
            src.close()
        tables = _check_sqlite_backup(partial)
        backend = "SQLite"
    else:
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), _libpq_url(url)], "pg_dump")
        listing = subprocess.run([_tool("pg_restore"), "--list", str(partial)], capture_output=True, text=True, check=True)
        tables = sum(1 for line in listing.stdout.splitlines() if " TABLE DATA " in line)
        backend = "PostgreSQL"
    partial.replace(dest)
    return BackupResult(dest, backend, tables, dest.stat().st_size)


def restore(url: str, source: Path) -> BackupResult:
    """Replace the database at ``url`` with the backup ``source``."""
    source = Path(source)
    if not source.is_file():
        raise BoroughsError(f"There is no backup file at {source}.")
    if url.startswith("sqlite"):
        tables = _check_sqlite_backup(source)
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(target.name + ".restoring")
        staged.unlink(missing_ok=True)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        out = sqlite3.connect(staged)
        try:
            src.backup(out)
            out.execute("PRAGMA journal_mode=DELETE")
        finally:
            out.close()
            src.close()
        for suffix in ("-wal", "-shm"):  # stale write-ahead files of the old database must not replay
            Path(str(target) + suffix).unlink(missing_ok=True)
        staged.replace(target)
        return BackupResult(target, "SQLite", tables, target.stat().st_size)
    pg_restore = _tool("pg_restore")
    listing = subprocess.run([pg_restore, "--list", str(source)], capture_output=True, text=True)
    if listing.returncode != 0 or "alembic_version" not in listing.stdout:
        raise BoroughsError(f"{source} is not a Boroughs PostgreSQL backup (made by boroughs admin backup / pg_dump -Fc).")
    _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname", _libpq_url(url),
          str(source)], "pg_restore")
    tables = sum(1 for line in listing.stdout.splitlines() if " TABLE DATA " in line)
    return BackupResult(source, "PostgreSQL", tables, source.stat().st_size)
