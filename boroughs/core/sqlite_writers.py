"""SQLite writers wait their turn in a queue the kernel keeps, not in SQLite's busy handler.

SQLite lets one connection write at a time. A connection that finds the database locked retries after
sleeping 1, 2, 5, 10 … 100 ms, so under a team's load the writers that arrive while another is writing
keep missing their turn: most requests finish in a fraction of a second while a few wait for seconds.

Here every connection takes an exclusive ``flock`` on a lock file beside the database (``<db>.writers``)
just before its first write statement, and drops it when its transaction commits or rolls back. Waiting
on ``flock`` sleeps until the lock is free (no polling), across the threads and the worker processes of
the server, so writers go in turn and SQLite's own lock is free by the time each one reaches it. Reads
never take the lock (SQLite's write-ahead log lets them run beside a writer).

Used through ``connect_args={"factory": QueuedConnection}`` (:func:`boroughs.core.db.make_engine`).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from typing import Any

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


def lock_path(database: str) -> str | None:
    """The lock file of a database file; None for an in-memory database (one process, nothing to share)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database) + ".writers"


class QueuedCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> QueuedCursor:
        if sql.lstrip()[:7].upper().startswith(WRITES):
            self.connection.take_turn()  # type: ignore[attr-defined]
        super().execute(sql, parameters)
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> QueuedCursor:
        if sql.lstrip()[:7].upper().startswith(WRITES):
            self.connection.take_turn()  # type: ignore[attr-defined]
        super().executemany(sql, seq_of_parameters)
        return self


class QueuedConnection(sqlite3.Connection):
    """A connection whose writes wait for the database's writer lock (see the module's docstring)."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._lock_path = lock_path(str(database))
        self._fd: int | None = None

    def cursor(self, factory: Any = QueuedCursor) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory)

    def take_turn(self) -> None:
        """Wait for the writer lock, unless this connection holds it already (kept to the transaction's end)."""
        if self._fd is not None or self._lock_path is None:
            return
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _done(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the file drops the lock

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._done()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._done()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._done()
