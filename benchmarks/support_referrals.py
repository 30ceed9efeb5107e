"""Benchmark: the VCS referral inbox with 50,000 referrals in PostgreSQL.

Target (issue 7): p95 ≤ 150 ms at 20 concurrent users, no errors. Everything runs on loopback: a fresh
PostgreSQL database (dropped afterwards), the app served by Uvicorn on 127.0.0.1 (``--workers`` processes,
default 2, one per core of this machine), and 20 client threads each
signed in as a caseworker or manager of the VCS organisation, requesting inbox pages (open, waiting, all,
accepted, outcome recorded; random pages) for a bounded number of requests. Each user waits a random
0.5–1.5 × ``--think`` seconds (default 1 s) between pages, as people do; ``--think 0`` measures saturation.

    python benchmarks/support_referrals.py [--referrals 50000] [--requests 3000] [--think 1] [--pg URL]

``--pg`` (or ``BOROUGHS_BENCH_PG``) is an administrative URL to a PostgreSQL server; default
postgresql+psycopg://postgres@127.0.0.1:5432/test. Residents and referrals are SYNTHETIC.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout, not an installed copy

from _harness import scratch_postgres, serve_app  # noqa: E402  benchmarks/_harness.py, after sys.path

TARGET_MS = 150.0
USERS = 20




def seed(engine: Any, referrals: int, rng: random.Random) -> dict[str, Any]:
    from sqlalchemy import insert, select, text

    from boroughs.core.auth import start_session
    from boroughs.core.db import session_scope, utcnow
    from boroughs.core.models import Membership, Organisation, Role, User
    from boroughs.support.demo.referrals import seed_demo_referrals
    from boroughs.support.directory.models import DirService
    from boroughs.support.governance.models import Agreement
    from boroughs.support.records.models import Resident
    from boroughs.support.referrals.models import Referral, ReferralBatch, ReferralEvent

    first = ["Amina", "Oluwaseun", "Priya", "Tomasz", "Grace", "Mohammed", "Chen", "Fatima", "Jack", "Aisha"]
    last = ["Begum", "Okafor", "Patel", "Nowak", "Smith", "Khan", "Li", "Hussain", "Brown", "Ali"]
    t0 = time.perf_counter()
    with session_scope(engine) as db:
        orgs = {
            "newham": Organisation(slug="newham", name="London Borough of Newham (benchmark)", kind="council",
                                   ons_code="E09000025", is_demo=True),
            "hackney": Organisation(slug="hackney", name="London Borough of Hackney (benchmark)", kind="council",
                                    ons_code="E09000012", is_demo=True),
            "eastside-food": Organisation(slug="eastside-food", name="Eastside Community Food Network (demo)",
                                          kind="vcs", charity_number="1000001", is_demo=True),
            "digital-buddies": Organisation(slug="digital-buddies", name="Hackney Digital Buddies (demo)", kind="vcs",
                                            charity_number="1000002", is_demo=True),
        }
        db.add_all(orgs.values())
        db.flush()
        seed_demo_referrals(db)
        users = []
        for i in range(USERS):
            u = User(email=f"caseworker{i}@eastside.bench.test", name=f"Caseworker {i}")
            db.add(u)
            db.flush()
            db.add(Membership(user_id=u.id, organisation_id=orgs["eastside-food"].id,
                              role=(Role.VCS_MANAGER if i % 5 == 0 else Role.VCS_CASEWORKER).value))
            users.append(u.id)
        n_res = max(1000, referrals // 2)
        rows = [{"organisation_id": orgs["newham" if i % 3 else "hackney"].id, "first_name": rng.choice(first),
                 "last_name": rng.choice(last), "dob": dt.date(1940 + i % 65, 1 + i % 12, 1 + i % 28),
                 "postcode": "E15 1AA", "synthetic": True} for i in range(n_res)]
        for i in range(0, len(rows), 20_000):
            db.execute(insert(Resident), rows[i:i + 20_000])
        residents = list(db.execute(select(Resident.id, Resident.organisation_id)))
        services = {s.name: s for s in db.scalars(select(DirService))}
        food = [services["Emergency food parcels (demo)"], services["Fuel vouchers and energy advice (demo)"]]
        buddies = [services["Free device and data (demo)"], services["Digital skills drop-in (demo)"]]
        agreements = {a.reference: a for a in db.scalars(select(Agreement))}
        now = utcnow()
        statuses = ["sent"] * 8 + ["accepted"] * 6 + ["in_contact"] * 6 + ["closed"] * 60 + ["declined"] * 15 + \
            ["returned"] * 5
        total = referrals + referrals // 5  # another organisation's referrals share the table
        batches, refs = [], []
        for i in range(total):
            rid, council = residents[i % len(residents)]
            mine = i < referrals
            svc = rng.choice(food if mine else buddies)
            ag = agreements["DSA-DEMO-2026-01" if mine else "DSA-DEMO-2026-02"]
            sent = now - dt.timedelta(minutes=rng.randint(0, 730 * 24 * 60))
            status = rng.choice(statuses)
            closed = sent + dt.timedelta(days=rng.randint(1, 30)) if status in ("closed", "declined", "returned") else None
            batches.append({"id": i + 1, "council_id": council, "resident_id": rid, "created_at": sent})
            refs.append({
                "reference": f"R-B{i:07d}", "batch_id": i + 1, "council_id": council, "resident_id": rid,
                "service_id": svc.id, "vcs_org_id": svc.organisation.owner_org_id, "agreement_id": ag.id,
                "purpose_key": ag.purposes[0].key, "shared": {"first_name": "SYNTHETIC", "needs": ["Food"]},
                "shared_fields": ["first_name", "needs"], "needs": ["food"], "status": status, "sent_at": sent,
                "respond_by": sent + dt.timedelta(days=svc.response_days),
                "accepted_at": sent + dt.timedelta(hours=5) if status in ("accepted", "in_contact", "closed") else None,
                "declined_at": closed if status == "declined" else None, "closed_at": closed,
                "outcome": rng.choice(["help_given", "signposted", "could_not_contact"]) if status == "closed" else None,
                "officer_unseen": False})
        for i in range(0, total, 10_000):
            db.execute(insert(ReferralBatch), batches[i:i + 10_000])
            db.execute(insert(Referral), refs[i:i + 10_000])
        db.execute(text("SELECT setval(pg_get_serial_sequence('support_referral_batch', 'id'), "
                        "(SELECT max(id) FROM support_referral_batch))"))
        ref_ids = list(db.scalars(select(Referral.id)))
        events = [{"referral_id": r, "kind": "sent", "at": now} for r in ref_ids]
        for i in range(0, len(events), 20_000):
            db.execute(insert(ReferralEvent), events[i:i + 20_000])
        print(f"seeded {n_res:,} SYNTHETIC residents, {referrals:,} referrals to the benchmarked organisation and "
              f"{total - referrals:,} to another, in {time.perf_counter() - t0:.1f} s")
        tokens = []
        for uid in users:
            user = db.get(User, uid)
            assert user is not None
            token, _ = start_session(db, user, "127.0.0.1")
            tokens.append(token)
        org_id = orgs["eastside-food"].id
    # what autovacuum does in production after a bulk load (it also sets the visibility map that lets
    # PostgreSQL answer the inbox's id and count queries from the index alone)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))
    return {"tokens": tokens, "org_id": org_id}


def main(argv: list[str] | None = None) -> int:
    import httpx

    from boroughs.core.migrate import upgrade
    from boroughs.web.deps import SESSION_COOKIE, serializer

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--referrals", type=int, default=50_000)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--think", type=float, default=1.0,
                    help="mean seconds each user waits between pages (0: every user requests back to back)")
    ap.add_argument("--workers", type=int, default=2, help="Uvicorn worker processes serving the app")
    ap.add_argument("--pg", default=os.environ.get("BOROUGHS_BENCH_PG",
                                                   "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args(argv)
    rng = random.Random(7)
    with ExitStack() as stack:
        url, engine = stack.enter_context(scratch_postgres(args.pg))
        upgrade(engine)
        info = seed(engine, args.referrals, rng)
        base, _server = stack.enter_context(serve_app(url, args.workers))
        clients = [httpx.Client(base_url=base, cookies={SESSION_COOKIE: serializer().dumps(t)}, timeout=30)
                   for t in info["tokens"]]
        pages = max(1, args.referrals // 50)
        queries = ["status=open", "status=sent", "status=", "status=accepted", "status=closed",
                   "status=&page={p}", "status=closed&page={q}", "status=open&page=2"]

        def one(i: int) -> tuple[float, int]:
            if args.think > 0:
                time.sleep(random.uniform(0.5, 1.5) * args.think)
            client = clients[i % USERS]
            q = queries[i % len(queries)].format(p=1 + (i * 7919) % pages, q=1 + (i * 104729) % (pages // 2 or 1))
            t = time.perf_counter()
            r = client.get(f"/support/vcs/referrals?org={info['org_id']}&{q}")
            return (time.perf_counter() - t) * 1000, r.status_code

        think, args.think = args.think, 0.0
        for i in range(USERS * 2):  # warm up
            one(i)
        args.think = think
        t = time.perf_counter()
        with ThreadPoolExecutor(USERS) as pool:
            results = list(pool.map(one, range(args.requests)))
        wall = time.perf_counter() - t
        times = sorted(ms for ms, _ in results)
        errors = sum(1 for _, s in results if s != 200)
        if errors:
            from collections import Counter

            print("responses by status:", dict(Counter(s for _, s in results)))
        p50 = statistics.median(times)
        p95 = times[int(0.95 * (len(times) - 1))]
        p99 = times[int(0.99 * (len(times) - 1))]
        ok = p95 <= TARGET_MS and not errors
        print(f"VCS referral inbox, {args.referrals:,} referrals to the organisation, {USERS} concurrent users, "
              f"think time {args.think:g} s, {len(times):,} requests in {wall:.1f} s ({len(times) / wall:.0f}/s): "
              f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms, max {times[-1]:.0f} ms, errors {errors} "
              f"(target p95 ≤ {TARGET_MS:.0f} ms) -> {'PASS' if ok else 'FAIL'}; "
              f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for client in clients:
            client.close()
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
