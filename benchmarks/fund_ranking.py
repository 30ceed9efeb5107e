"""How long the fund's heavier reads take as a round grows: ranking (with recusal worked out for every
score) and the 360Giving export with validation. Prints figures; asserts nothing.

    python benchmarks/fund_ranking.py [--proposals 200] [--panel 8]

Runs on a scratch SQLite database (or DATABASE_URL if it is set to a PostgreSQL database you can empty).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
import tracemalloc

from boroughs.core.db import make_engine, session_factory, utcnow
from boroughs.core.migrate import upgrade
from boroughs.core.models import Membership, Organisation, OrgKind, Role, User
from boroughs.fund import assessment
from boroughs.fund._london import BOROUGHS
from boroughs.fund.models import Assignment, Award, Call, Criterion, Partner, Proposal, Score, Strand
from boroughs.fund.opendata import giving360


def build(session, n_proposals: int, n_panel: int) -> Call:  # type: ignore[no-untyped-def]
    body = Organisation(slug="fund-body", name="Fund body", kind=OrgKind.FUND_BODY.value)
    councils = [Organisation(slug=f"c{i}", name=b.name, kind=OrgKind.COUNCIL.value, ons_code=b.ons_code)
                for i, b in enumerate(BOROUGHS)]
    session.add_all([body, *councils])
    session.flush()
    panel = []
    for i in range(n_panel):
        u = User(email=f"p{i}@x.test", name=f"Panel {i}")
        session.add(u)
        session.flush()
        session.add(Membership(user_id=u.id, organisation_id=body.id, role=Role.PANEL_MEMBER.value))
        if i % 3 == 0:  # a third of the panel also work for a council: recusal has work to do
            session.add(Membership(user_id=u.id, organisation_id=councils[i % 33].id, role=Role.COUNCIL_OFFICER.value))
        panel.append(u)
    call = Call(fund_body_id=body.id, slug="bench", title="Bench", total_budget=10**9, phase="assessment",
                deadline=utcnow() - dt.timedelta(days=1))
    session.add(call)
    session.flush()
    strands = [Strand(call_id=call.id, slug=f"s{i}", title=f"S{i}", budget=10**8, award_limit=10**6) for i in range(2)]
    crits = [Criterion(call_id=call.id, title=f"C{i}", weight=i + 1) for i in range(4)]
    session.add_all(strands + crits)
    session.flush()
    for i in range(n_proposals):
        p = Proposal(call_id=call.id, strand_id=strands[i % 2].id, lead_org_id=councils[i % 33].id, reference=f"B-{i}",
                     title=f"Proposal {i}", state="in_assessment", amount_requested=50_000, form={})
        session.add(p)
        session.flush()
        session.add(Partner(proposal_id=p.id, organisation_id=councils[i % 33].id, kind="lead"))
        session.add(Partner(proposal_id=p.id, organisation_id=councils[(i + 1) % 33].id, kind="partner"))
        for u in panel:
            session.add(Assignment(proposal_id=p.id, user_id=u.id))
            for c in crits:
                session.add(Score(proposal_id=p.id, criterion_id=c.id, user_id=u.id, score=(i + u.id) % 6, comment="c"))
        if i % 10 == 0:
            session.add(Award(proposal_id=p.id, strand_id=strands[i % 2].id, amount=40_000, grant_id=f"360G-b-{i}",
                              award_date=dt.date(2027, 1, 1)))
    session.flush()
    return call


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--proposals", type=int, default=200)
    ap.add_argument("--panel", type=int, default=8)
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    upgrade(engine)
    session = session_factory(engine)()
    call = build(session, args.proposals, args.panel)
    session.commit()
    tracemalloc.start()
    t = time.perf_counter()
    ranked = assessment.ranking(session, call)
    t_rank = time.perf_counter() - t
    t = time.perf_counter()
    pkg = giving360.export_package(session)
    errors = giving360.validate(pkg)
    t_export = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    n_scores = args.proposals * args.panel * 4
    print(f"database: {engine.dialect.name}; {args.proposals} proposals, {args.panel} panel members, {n_scores:,} scores")
    print(f"ranking both strands: {t_rank:.2f} s ({sum(len(v) for v in ranked.values())} proposals ranked)")
    print(f"360Giving export + validation of {len(pkg['grants'])} grants: {t_export:.2f} s ({len(errors)} errors)")
    print(f"peak Python memory: {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
