"""What the benchmarks share: a scratch PostgreSQL database and the app served by Uvicorn worker processes
on loopback, both removed afterwards; a process's CPU time; and the cached SYNTHETIC borough the support
benchmarks read."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children, from /proc (Linux)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(x) for x in f.read().split()]
    except (OSError, ValueError, IndexError):
        return total
    return total + sum(cpu_seconds(k) for k in kids)


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[tuple[str, Any]]:
    """A new, empty PostgreSQL database (its URL and an engine), dropped afterwards."""
    from sqlalchemy import text

    from boroughs.core.db import make_engine

    name = f"boroughs_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    try:
        yield url, engine
    finally:
        engine.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def serve_app(database_url: str, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The app in its own Uvicorn worker processes on 127.0.0.1, as ``boroughs serve`` runs it (warming the
    map's data before it answers; client threads do not share an interpreter lock with it); yields its base
    URL once ``/healthz`` answers, and the process."""
    import httpx

    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "boroughs.app:serving_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def synthetic_borough(description: str | None, argv: list[str] | None, *,
                      needs: str = "SYNTHETIC_manifest.json") -> tuple[argparse.Namespace, Path]:
    """The command line of a benchmark over a SYNTHETIC borough (``--residents``, ``--seed``, ``--cache``,
    ``--repeat``) and the borough's folder, made once with the synthetic generator and cached (remade when
    the file ``needs`` is missing)."""
    from boroughs.support.synth.population import synthesise

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--residents", type=int, default=480_000, help="synthetic people (about 62%% have records)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/boroughs-bench"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    folder = args.cache / f"synth-{args.residents}-{args.seed}"
    if not (folder / needs).is_file():
        t = time.perf_counter()
        synthesise(args.residents, args.seed, folder)
        print(f"made the synthetic borough in {time.perf_counter() - t:.1f} s ({folder})")
    return args, folder
