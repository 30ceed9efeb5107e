"""Property tests (hypothesis): whatever sequence of actions, no strand's awards exceed its budget, and
no recused panel member's score counts.

Each example runs a random sequence of award decisions, scores, declared conflicts and new memberships
against the real services on a real database (SQLite and PostgreSQL), then rolls back.
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from boroughs.core.db import session_factory
from boroughs.core.errors import BoroughsError
from boroughs.core.models import Membership, Role
from boroughs.fund import assessment, calls, decisions
from boroughs.fund.models import Award, Score

from . import factories as f

# mostly amounts that the proposals asked for (so awards succeed and strands fill), sometimes anything
AMOUNT = st.one_of(st.sampled_from([40_000, 50_000, 60_000]), st.sampled_from([10_000, 35_000, 75_000]),
                   st.integers(1, 80_000))
action = st.one_of(
    st.tuples(st.just("award"), st.lists(st.tuples(st.integers(0, 3), AMOUNT), min_size=1, max_size=3,
                                           unique_by=lambda t: t[0])),
    st.tuples(st.just("score"), st.integers(0, 2), st.integers(0, 3), st.integers(0, 2), st.integers(-1, 6)),
    st.tuples(st.just("declare"), st.integers(0, 2), st.integers(0, 3)),
    st.tuples(st.just("join"), st.integers(0, 2), st.sampled_from(["barnet", "brent", "newham", "hackney"])),
)


def test_budgets_hold_and_recused_scores_never_count(engine: Engine) -> None:
    session = session_factory(engine)()
    try:
        w = f.world(session)
        call = f.open_call(session, w)
        ps = [
            f.submitted(session, w, call, lead="barnet", partners=("brent",), amount=60_000, title="P0"),
            f.submitted(session, w, call, lead="newham", partners=("hackney",), amount=50_000, title="P1"),
            f.submitted(session, w, call, lead="hackney", partners=("sutton",), amount=75_000, title="P2",
                        strand=1),
            f.submitted(session, w, call, lead="sutton", partners=("newham",), amount=40_000, title="P3",
                        strand=1),
        ]
        f.in_assessment(session, w, call, ps)
        members = [*w.panel, w.panel_brent]

        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(actions=st.lists(action, min_size=1, max_size=12))
        @example(actions=[("award", [(0, 60_000)]), ("award", [(1, 50_000)])])  # a strand overspent in turn
        @example(actions=[("award", [(2, 75_000), (3, 1)])])  # overspent within one set
        @example(actions=[("score", 2, 0, 0, 5)])  # Bea (Brent) scoring Barnet-Brent's proposal
        @example(actions=[("score", 0, 1, 0, 5), ("declare", 0, 1)])  # a score, then a declared conflict
        @example(actions=[("score", 1, 1, 0, 5), ("join", 1, "newham")])  # a score, then joining a partner
        def run(actions: list[tuple]) -> None:
            example = session.begin_nested()  # each example starts from the same world
            try:
                _run(actions)
            finally:
                example.rollback()
                session.expire_all()

        def _run(actions: list[tuple]) -> None:
            for act in actions:
                try:
                    with session.begin_nested():
                        if act[0] == "award":
                            decisions.decide(session, w.manager, call, [(ps[i].id, amt) for i, amt in act[1]])
                        elif act[0] == "score":
                            _, m, pi, ci, val = act
                            assessment.score(session, members[m], ps[pi], call.criteria[ci].id, val, "c")
                        elif act[0] == "declare":
                            _, m, pi = act
                            assessment.declare_conflict(session, members[m], ps[pi], "conflict")
                        else:  # a panel member joins a council later
                            _, m, council = act
                            org_id = w.councils[council].id
                            if not any(x.organisation_id == org_id for x in members[m].memberships):
                                session.add(Membership(user_id=members[m].id, organisation_id=org_id,
                                                       role=Role.COUNCIL_OFFICER.value))
                                session.flush()
                                session.refresh(members[m])
                except BoroughsError:
                    pass  # refused: nothing of it may remain (the savepoint rolled back)
            _check()

        def _check() -> None:
            for strand in call.strands:
                awards = session.query(Award).filter_by(strand_id=strand.id).all()
                assert sum(a.amount for a in awards) <= strand.budget
                assert sum(a.amount for a in awards) == calls.committed(session, strand)
                assert all(a.amount <= strand.award_limit for a in awards)
            for p in ps:
                counted = assessment.counted_scores(session, p)
                r = assessment.result(session, p)
                assert sum(len(c.scores) for c in r.criteria) == len(counted)
                recused = {m.id for m in members if assessment.recusal_reason(session, m, p)}
                rows = session.query(Score).filter_by(proposal_id=p.id).all()
                assert not recused & {s.user_id for s in counted}
                assert {s.id for s in counted} == {s.id for s in rows if s.user_id not in recused}

        run()
    finally:
        session.rollback()
        session.close()
