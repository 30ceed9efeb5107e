"""Benchmark: the outreach worklist page with 300,000 SYNTHETIC residents in PostgreSQL.

Target (issue 6): p95 ≤ 150 ms at 20 concurrent users. Everything runs on loopback: a fresh PostgreSQL
database (dropped afterwards), the app served by Uvicorn on 127.0.0.1 in a separate process (``--workers``,
default 2: one per core), and 20 client threads each signed in as an officer or manager, requesting worklist
pages (mine, unassigned, all; by severity; random pages) for a bounded number of requests. Each user waits a random 0.5–1.5 × ``--think`` seconds (default 1 s) between
pages, as people do; ``--think 0`` measures saturation (every user requesting back to back).

    python benchmarks/support_worklist.py [--residents 300000] [--requests 3000] [--pg URL]

``--pg`` (or ``BOROUGHS_BENCH_PG``) is an administrative URL to a PostgreSQL server; default
postgresql+psycopg://postgres@127.0.0.1:5432/test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

from _harness import cpu_seconds, scratch_postgres, serve_app  # benchmarks/_harness.py

TARGET_MS = 150.0
USERS = 20






def seed(engine, residents: int, flagged_share: float, rng: random.Random) -> dict:  # type: ignore[no-untyped-def]
    import datetime as dt

    from sqlalchemy import insert, select

    from boroughs.core.db import session_scope
    from boroughs.core.models import Membership, Organisation, Role, User
    from boroughs.support.outreach.models import OutreachCase
    from boroughs.support.outreach.service import priority_of
    from boroughs.support.records.models import Resident

    first = ["Amina", "Oluwaseun", "Priya", "Tomasz", "Grace", "Mohammed", "Chen", "Fatima", "Jack", "Aisha"]
    last = ["Begum", "Okafor", "Patel", "Nowak", "Smith", "Khan", "Li", "Hussain", "Brown", "Ali"]
    wards = [f"Ward {i}" for i in range(1, 25)]
    with session_scope(engine) as db:
        org = Organisation(slug="newham", name="London Borough of Newham (benchmark)", kind="council",
                           ons_code="E09000025", is_demo=True)
        db.add(org)
        db.flush()
        users = []
        for i in range(USERS):
            u = User(email=f"officer{i}@bench.test", name=f"Officer {i}")
            db.add(u)
            db.flush()
            db.add(Membership(user_id=u.id, organisation_id=org.id,
                              role=(Role.COUNCIL_MANAGER if i % 5 == 0 else Role.COUNCIL_OFFICER).value))
            users.append(u.id)
        t = time.perf_counter()
        batch = []
        for i in range(residents):
            batch.append({"organisation_id": org.id, "first_name": rng.choice(first), "last_name": rng.choice(last),
                          "dob": dt.date(1940 + i % 65, 1 + i % 12, 1 + i % 28), "sex": rng.choice(("female", "male")),
                          "ethnicity": "White", "disability": False, "lsoa21_code": "E01003500", "synthetic": True})
            if len(batch) == 20_000:
                db.execute(insert(Resident), batch)
                batch = []
        if batch:
            db.execute(insert(Resident), batch)
        ids = list(db.scalars(select(Resident.id).where(Resident.organisation_id == org.id)))
        chosen = rng.sample(ids, int(len(ids) * flagged_share))
        cases = []
        for rid in chosen:
            sev = rng.choice(("high", "medium", "medium", "low", "low", "low"))
            n = rng.choice((1, 1, 1, 2, 3))
            cases.append({"organisation_id": org.id, "resident_id": rid, "status": rng.choice(("open", "open", "in_progress", "closed")),
                          "severity": sev, "priority": priority_of(sev, n), "rule_ids": ["rent-arrears-8-weeks-fsm"][:1] * n,
                          "ward_name": rng.choice(wards), "assigned_to_id": rng.choice(users) if rng.random() < 0.6 else None})
        for i in range(0, len(cases), 20_000):
            db.execute(insert(OutreachCase), cases[i:i + 20_000])
        print(f"seeded {residents:,} residents and {len(cases):,} outreach cases in {time.perf_counter() - t:.1f} s")
        from boroughs.core.auth import start_session

        tokens = []
        for uid in users:
            user = db.get(User, uid)
            assert user is not None
            token, _ = start_session(db, user, "127.0.0.1")
            tokens.append(token)
    with engine.connect() as c:
        from sqlalchemy import text

        c.execute(text("ANALYZE"))
        c.commit()
    return {"tokens": tokens, "cases": len(cases)}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("BOROUGHS_SECRET_KEY", uuid.uuid4().hex + uuid.uuid4().hex)
    import httpx

    from boroughs.config import reset_settings

    reset_settings()

    from boroughs.core.migrate import upgrade
    from boroughs.web.deps import SESSION_COOKIE, serializer

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--residents", type=int, default=300_000)
    ap.add_argument("--flagged-share", type=float, default=0.05)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--think", type=float, default=1.0,
                    help="mean seconds each user waits between pages (0: every user requests back to back)")
    ap.add_argument("--workers", type=int, default=2, help="Uvicorn worker processes (one per core here)")
    ap.add_argument("--pg", default=os.environ.get("BOROUGHS_BENCH_PG",
                                                   "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args(argv)
    rng = random.Random(6)
    with ExitStack() as stack:
        url, engine = stack.enter_context(scratch_postgres(args.pg))
        upgrade(engine)
        info = seed(engine, args.residents, args.flagged_share, rng)
        base, server = stack.enter_context(serve_app(url, args.workers))
        clients = [httpx.Client(base_url=base, cookies={SESSION_COOKIE: serializer().dumps(t)}, timeout=30)
                   for t in info["tokens"]]
        queries = ["show=mine", "show=unassigned", "show=all", "show=all&severity=high", "show=all&status=open",
                   "show=all&page={p}", "show=unassigned&page={p}"]

        def one(i: int) -> tuple[float, int]:
            if args.think > 0:
                time.sleep(random.uniform(0.5, 1.5) * args.think)
            c = clients[i % USERS]
            q = queries[i % len(queries)].format(p=1 + (i * 7919) % 200)
            t = time.perf_counter()
            r = c.get(f"/support/newham/outreach?{q}")
            return (time.perf_counter() - t) * 1000, r.status_code

        think, args.think = args.think, 0.0
        for i in range(USERS * 2):  # warm up
            one(i)
        alone = sorted(one(i)[0] for i in range(40))  # one user at a time: the page's own latency
        args.think = think
        cpu0 = cpu_seconds(server.pid)
        t = time.perf_counter()
        with ThreadPoolExecutor(USERS) as pool:
            results = list(pool.map(one, range(args.requests)))
        wall = time.perf_counter() - t
        cpu = cpu_seconds(server.pid) - cpu0
        times = sorted(ms for ms, _ in results)
        errors = sum(1 for _, s in results if s != 200)
        p50 = statistics.median(times)
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"worklist page, {args.residents:,} residents, {info['cases']:,} cases, {USERS} concurrent users, "
              f"think time {args.think:g} s, {len(times):,} requests in {wall:.1f} s ({len(times) / wall:.0f}/s): p50 {p50:.0f} ms, "
              f"p95 {p95:.0f} ms, max {times[-1]:.0f} ms, errors {errors} (target p95 ≤ {TARGET_MS:.0f} ms) -> "
              f"{'PASS' if p95 <= TARGET_MS and not errors else 'FAIL'}")
        per_request = cpu / len(times) * 1000
        cores = os.cpu_count() or 1
        load = os.getloadavg()[0]
        print(f"one user at a time: p50 {statistics.median(alone):.0f} ms; server CPU per request {per_request:.1f} ms "
              f"(capacity about {cores / (per_request / 1000):.0f} pages/s on {cores} cores, if the server had them); "
              f"load average during the run {load:.1f} on {cores} cores")
        for c in clients:
            c.close()
        return 0 if p95 <= TARGET_MS and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
