"""Load benchmark (issue 11): a council team on the demo deployment, on SQLite and on PostgreSQL.

Signs in ``--sessions`` demo accounts (default 10: Newham officers and managers, and VCS caseworkers) and drives
``--connections`` concurrent connections (default 50) for ``--seconds`` (default 15) over four pages, chosen at
random for each request:

- the outreach worklist (``/support/newham/outreach``),
- a SYNTHETIC resident's record viewed with a purpose (``/support/newham/residents/<id>?purpose=outreach``,
  which writes an audit entry),
- the referral inbox of a VCS organisation (``/support/vcs/referrals``),
- the map's table (``/map/table``).

Each connection sends its next request as soon as the last one answers (no think time: this is saturation,
harder than 50 people clicking), as a signed-in session chosen at random. The connections speak HTTP/1.1 over
asyncio streams, with keep-alive and gzip (the bodies are read, not unzipped): the load generator shares the
server's cores, and httpx, used before, took five times the CPU of this client. Each connection is held for
the whole run, so the two server processes keep whatever share of the 50 they first got (the kernel hands
them out); the figures of a run vary with that share. A 3-second warm-up on 4 connections comes first and is not counted. The app runs in Uvicorn worker processes on loopback (``--workers``,
default 2: one per core) via ``benchmarks/_harness.py``; the demo deployment is loaded with
``boroughs demo seed`` into a scratch SQLite file and a scratch PostgreSQL database (dropped afterwards).

It prints, per backend: requests, errors (status >= 400 or a broken connection), time-outs (no answer in
``--timeout`` s, default 10), requests a second, p50/p95/p99 latency, the number of audit forks (entries
that point at the same predecessor), what ``boroughs admin verify-audit`` says afterwards, whether ``/healthz``
still answers, and the load average before and after (the machine's other work skews the figures).

    python benchmarks/load.py [--backend sqlite|postgresql|both] [--seconds 15] [--connections 50]
                              [--sqlite-from demo.db] [--pg URL]

``--sqlite-from`` copies an already-seeded demo SQLite database (and its ``out`` folder beside it) instead
of seeding one. ``--pg`` (or ``BOROUGHS_BENCH_PG``) is an administrative URL to a PostgreSQL server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from _harness import ROOT, cpu_seconds, scratch_postgres, serve_app  # benchmarks/_harness.py

TARGET_P95_MS = 300.0
WARM_UP_SECONDS = 3.0  # 4 connections before the measured run (its figures are not counted)
ACCOUNTS = [
    "officer@newham.demo.boroughs.test", "manager@newham.demo.boroughs.test", "panel@newham.demo.boroughs.test",
    "caseworker@eastside-food.demo.boroughs.test", "manager@eastside-food.demo.boroughs.test",
]


def _env(database_url: str, work: Path) -> dict[str, str]:
    """Demo mode: without BOROUGHS_AUDIT_KEY the published demo audit key is used (as by ``--sqlite-from``'s seed)."""
    return {
        **os.environ, "DATABASE_URL": database_url, "BOROUGHS_DEMO_MODE": "true", "PYTHONPATH": str(ROOT),
        "BOROUGHS_AUDIT_CHECKPOINT_FILE": str(work / "audit-checkpoints.jsonl"),
        "BOROUGHS_OUT_DIR": str(work / "out"),
    }


def seed(database_url: str, env: dict[str, str]) -> None:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "boroughs", "demo", "seed"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    if database_url.startswith("postgresql"):
        # What autovacuum would do soon after a bulk load, done before the run rather than during it (where
        # it took a share of the same two cores and made the figures swing by half).
        from sqlalchemy import text

        from boroughs.core.db import make_engine

        eng = make_engine(database_url)
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM (ANALYZE)"))
        eng.dispose()
    print(f"  demo deployment seeded in {time.perf_counter() - t:.0f} s")


def resident_ids(database_url: str) -> list[int]:
    from sqlalchemy import text

    from boroughs.core.db import make_engine

    eng = make_engine(database_url)
    with eng.connect() as c:
        ids = [int(x) for x in c.execute(text(
            "SELECT r.id FROM support_resident r JOIN core_organisation o ON o.id = r.organisation_id "
            "WHERE o.slug = 'newham' ORDER BY r.id LIMIT 200")).scalars()]
    eng.dispose()
    return ids


def audit_forks(database_url: str) -> tuple[int, int]:
    from sqlalchemy import text

    from boroughs.core.db import make_engine

    eng = make_engine(database_url)
    with eng.connect() as c:
        total, distinct = c.execute(text("SELECT count(*), count(DISTINCT prev_hash) FROM core_audit_event")).one()
    eng.dispose()
    return int(total), int(total) - int(distinct)


async def _sign_in(client: Any, base: str, email: str) -> None:
    import re

    page = await client.get(base + "/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the sign-in page"
    r = await client.post(base + "/sign-in", data={"email": email, "password": "demo-password-for-boroughs",
                                                    "csrf_token": token.group(1), "next": "/"})
    if r.status_code != 303:
        raise SystemExit(f"could not sign {email} in (status {r.status_code})")


class Connection:
    """One keep-alive HTTP/1.1 connection, as light as a client can be (the load generator shares the
    server's two cores: httpx took 15% of the machine for this load, this about a fifth of that). It sends
    a GET with the session's cookie and reads the status and the (still gzipped) body."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, cookie: str) -> int:
        return await asyncio.wait_for(self._get(path, cookie), self.timeout)

    async def _get(self, path: str, cookie: str) -> int:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nCookie: {cookie}\r\n"
                          "Accept: text/html\r\nAccept-Encoding: gzip\r\n\r\n".encode("latin-1"))
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")
        if headers.get("connection") == "close":
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


async def drive(base: str, sessions: int, connections: int, seconds: float, timeout: float,
                residents: list[int], rng: random.Random, server_pid: int) -> dict[str, Any]:
    import httpx

    signing_in = [httpx.AsyncClient(timeout=timeout) for _ in range(sessions)]
    try:
        for i, c in enumerate(signing_in):
            await _sign_in(c, base, ACCOUNTS[i % len(ACCOUNTS)])
        cookies = ["; ".join(f"{k}={v}" for k, v in c.cookies.items()) for c in signing_in]
    finally:
        for c in signing_in:
            await c.aclose()
    council = [k for i, k in enumerate(cookies) if "newham" in ACCOUNTS[i % len(ACCOUNTS)]]
    vcs = [k for i, k in enumerate(cookies) if "eastside" in ACCOUNTS[i % len(ACCOUNTS)]] or council
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = timeouts = 0
    statuses: dict[int, int] = {}
    by_page: dict[str, list[float]] = {}

    def pick() -> tuple[str, str]:
        kind = rng.randrange(4)
        if kind == 0:
            return rng.choice(council), "/support/newham/outreach"
        if kind == 1:
            return rng.choice(council), f"/support/newham/residents/{rng.choice(residents)}?purpose=outreach"
        if kind == 2:
            return rng.choice(vcs), "/support/vcs/referrals"
        return rng.choice(cookies), "/map/table"

    async def worker(count: bool) -> None:
        nonlocal errors, timeouts
        conn = Connection(host, int(port), timeout)
        try:
            while time.perf_counter() < deadline:
                cookie, path = pick()
                t = time.perf_counter()
                try:
                    status = await conn.get(path, cookie)
                except TimeoutError:
                    await conn.close()
                    timeouts += count
                    continue
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    await conn.close()
                    errors += count
                    continue
                if not count:
                    continue
                ms = (time.perf_counter() - t) * 1000
                latencies.append(ms)
                by_page.setdefault(path.split("?")[0].rsplit("/", 1)[0] if "residents/" in path else path, []).append(ms)
                statuses[status] = statuses.get(status, 0) + 1
                if status >= 400:
                    errors += 1
                    if errors <= 3:
                        print(f"  {status} on {path}")
        finally:
            await conn.close()

    # not counted: each worker process serves each page a few times first
    deadline = time.perf_counter() + WARM_UP_SECONDS
    await asyncio.gather(*(worker(False) for _ in range(4)))
    deadline = time.perf_counter() + seconds
    started, cpu, server_cpu = time.perf_counter(), time.process_time(), cpu_seconds(server_pid)
    await asyncio.gather(*(worker(True) for _ in range(connections)))
    elapsed, client_cpu = time.perf_counter() - started, time.process_time() - cpu
    server_cpu = cpu_seconds(server_pid) - server_cpu
    return {"latencies": latencies, "errors": errors, "timeouts": timeouts, "elapsed": elapsed, "statuses": statuses,
            "by_page": by_page, "client_cpu": client_cpu, "server_cpu": server_cpu}


def run_backend(name: str, database_url: str, env: dict[str, str], args: argparse.Namespace) -> bool:
    import httpx

    residents = resident_ids(database_url)
    if not residents:
        raise SystemExit("the demo deployment has no Newham residents: was `boroughs demo seed` complete?")
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        with serve_app(database_url, args.workers) as (base, server):
            load_before = os.getloadavg()
            result = asyncio.run(drive(base, args.sessions, args.connections, args.seconds, args.timeout,
                                       residents, random.Random(11), server.pid))
            load_after = os.getloadavg()
            try:
                healthy = httpx.get(base + "/healthz", timeout=5).status_code == 200
            except httpx.HTTPError:
                healthy = False
    finally:
        os.environ.clear()
        os.environ.update(saved)
    total, forks = audit_forks(database_url)
    verify = subprocess.run([sys.executable, "-m", "boroughs", "admin", "verify-audit"], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    lat = sorted(result["latencies"])
    q = statistics.quantiles(lat, n=100) if len(lat) >= 100 else [max(lat or [0])] * 99
    p50, p95, p99 = q[49], q[94], q[98]
    n = len(lat) + result["timeouts"]
    print(f"\n{name}: {args.connections} connections, {args.sessions} signed-in sessions, {result['elapsed']:.1f} s")
    print(f"  requests {n:,}  ({n / result['elapsed']:.0f} a second)   errors {result['errors']:,}   "
          f"time-outs {result['timeouts']:,}   statuses {dict(sorted(result['statuses'].items()))}")
    print(f"  the server used {result['server_cpu']:.1f} CPU-seconds ({result['server_cpu'] * 1000 / max(1, n):.1f} ms a "
          f"request); the load generator {result['client_cpu']:.1f} "
          f"({result['client_cpu'] / result['elapsed'] / (os.cpu_count() or 1):.0%} of the machine)")
    print(f"  latency p50 {p50:.0f} ms   p95 {p95:.0f} ms   p99 {p99:.0f} ms   (target p95 <= {TARGET_P95_MS:.0f} ms)")
    for page, ms in sorted(result["by_page"].items()):
        ms.sort()
        print(f"    {page:40} {len(ms):>6,} requests   median {ms[len(ms) // 2]:.0f} ms   "
              f"p95 {ms[int(len(ms) * 0.95)]:.0f} ms")
    print(f"  audit entries {total:,}   forks {forks}   verify-audit: "
          f"{(verify.stdout or verify.stderr).strip().splitlines()[0] if (verify.stdout or verify.stderr) else '?'}"
          f" (exit {verify.returncode})")
    if verify.returncode:
        print("    " + (verify.stdout + verify.stderr).strip().replace("\n", "\n    "))
    print(f"  /healthz afterwards: {'answers' if healthy else 'NO ANSWER'}   load average before "
          f"{load_before[0]:.2f}, after {load_after[0]:.2f} (1 min; {os.cpu_count()} cores)")
    return (result["errors"] == 0 and result["timeouts"] == 0 and healthy and forks == 0
            and verify.returncode == 0 and p95 <= TARGET_P95_MS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--sqlite-from", type=Path, default=None)
    parser.add_argument("--pg", default=os.environ.get("BOROUGHS_BENCH_PG",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args(argv)
    print(f"load average at start: {os.getloadavg()[0]:.2f} (1 min; {os.cpu_count()} cores)")
    ok = True
    with ExitStack() as stack:
        if args.backend in ("sqlite", "both"):
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="boroughs-load-")))
            url = f"sqlite:///{work / 'boroughs.db'}"
            env = _env(url, work)
            if args.sqlite_from:
                import sqlite3

                # SQLite's backup API: a plain file copy would miss what is still in the write-ahead log
                src, dst = sqlite3.connect(args.sqlite_from), sqlite3.connect(work / "boroughs.db")
                src.backup(dst)
                src.close()
                dst.close()
                if (args.sqlite_from.parent / "out").is_dir():
                    shutil.copytree(args.sqlite_from.parent / "out", work / "out")
                cp = args.sqlite_from.parent / "cp.jsonl"
                if cp.exists():
                    shutil.copy(cp, work / "audit-checkpoints.jsonl")
            else:
                print("SQLite: seeding the demo deployment")
                seed(url, env)
            ok &= run_backend("SQLite", url, env, args)
        if args.backend in ("postgresql", "both"):
            url, _engine = stack.enter_context(scratch_postgres(args.pg))
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="boroughs-load-pg-")))
            env = _env(url, work)
            print("PostgreSQL: seeding the demo deployment")
            seed(url, env)
            ok &= run_backend("PostgreSQL", url, env, args)
    print("\nall targets met" if ok else "\nsome targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
