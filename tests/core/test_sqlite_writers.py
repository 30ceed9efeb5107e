"""Issue 11: SQLite writers take turns on a file lock (``boroughs.core.sqlite_writers``), on a real database
file, across threads and across processes, while readers never wait."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import text

from boroughs.core.db import make_engine
from boroughs.core.sqlite_writers import lock_path


def _engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (n INTEGER)"))
    return engine


def test_a_second_writer_waits_for_the_first_to_commit_and_readers_do_not(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    finished: list[float] = []
    first = engine.connect()
    first.execute(text("INSERT INTO t VALUES (1)"))  # holds the writers' lock until it commits

    def second() -> None:
        with engine.begin() as c:
            c.execute(text("INSERT INTO t VALUES (2)"))
        finished.append(time.monotonic())

    worker = threading.Thread(target=second)
    worker.start()
    time.sleep(0.5)
    assert finished == []  # still waiting its turn (not failing with "database is locked")
    with engine.connect() as reader:  # a reader is not held up by the writer
        assert reader.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
    committed = time.monotonic()
    first.commit()
    worker.join(timeout=10)
    assert finished and finished[0] >= committed
    with engine.connect() as reader:
        assert sorted(reader.execute(text("SELECT n FROM t")).scalars()) == [1, 2]
    first.close()
    engine.dispose()


def test_a_rollback_gives_up_the_turn(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with engine.connect() as c:
        c.execute(text("INSERT INTO t VALUES (1)"))
        c.rollback()
        done = threading.Event()

        def other() -> None:
            with engine.begin() as o:
                o.execute(text("INSERT INTO t VALUES (2)"))
            done.set()

        threading.Thread(target=other).start()
        assert done.wait(timeout=5)
    engine.dispose()


def test_writers_in_another_process_wait_too(tmp_path: Path) -> None:
    """The lock is the kernel's (flock on ``<db>.writers``), so it holds between the server's processes."""
    engine = _engine(tmp_path)
    path = lock_path(str(tmp_path / "w.db"))
    assert path and path.endswith("w.db.writers")
    holder = engine.connect()
    holder.execute(text("INSERT INTO t VALUES (1)"))
    script = (
        "import fcntl, os, sys\n"
        f"fd = os.open({path!r}, os.O_RDWR)\n"
        "try:\n"
        "    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "    print('free')\n"
        "except BlockingIOError:\n"
        "    print('held')\n"
    )
    held = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.strip()
    holder.commit()
    free = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.strip()
    assert (held, free) == ("held", "free")
    holder.close()
    engine.dispose()
