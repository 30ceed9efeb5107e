"""Award decisions refuse anything that breaks a strand's budget or award limit (issue 8)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from boroughs.core.errors import ValidationFailed
from boroughs.fund import calls, decisions
from boroughs.fund.models import Award, Proposal

from . import factories as f


def _three(session: Session, w: f.World) -> tuple[calls.Call, list[Proposal]]:
    call = f.open_call(session, w)
    ps = [
        f.submitted(session, w, call, lead="barnet", partners=("brent",), amount=50_000, title="A"),
        f.submitted(session, w, call, lead="newham", partners=("hackney",), amount=40_000, title="B"),
        f.submitted(session, w, call, lead="sutton", partners=("brent",), amount=75_000, title="C", strand=1),
    ]
    f.in_assessment(session, w, call, ps)
    return call, ps


def test_over_budget_set_is_refused_whole(session: Session) -> None:
    w = f.world(session)
    call, (a, b, _c) = _three(session, w)
    with pytest.raises(ValidationFailed, match="take the Smarter use of data strand to £90,000, over its budget of "
                                               "£75,000 by £15,000"):
        decisions.decide(session, w.manager, call, [(a.id, 50_000), (b.id, 40_000)])
    assert session.query(Award).count() == 0
    assert a.state == b.state == "in_assessment"


def test_award_in_a_full_strand_is_refused(session: Session) -> None:
    w = f.world(session)
    call, (a, b, _c) = _three(session, w)
    decisions.decide(session, w.manager, call, [(a.id, 50_000)])
    decisions.decide(session, w.manager, call, [(b.id, 25_000)])
    # a third proposal in the same strand
    calls_strand = call.strands[0]
    assert calls.remaining(session, calls_strand) == 0
    p = session.get(Proposal, b.id)
    assert p is not None and p.state == "awarded"
    extra = Proposal(call_id=call.id, strand_id=calls_strand.id, lead_org_id=w.councils["hackney"].id,
                     reference="X-1", title="Late idea", state="in_assessment", amount_requested=10_000)
    session.add(extra)
    session.flush()
    with pytest.raises(ValidationFailed, match="Smarter use of data strand is full: £75,000 of its £75,000"):
        decisions.decide(session, w.manager, call, [(extra.id, 1_000)])


def test_award_over_limit_or_request_is_refused(session: Session) -> None:
    w = f.world(session)
    call, (a, _b, c) = _three(session, w)
    call.strands[1].award_limit = 60_000
    with pytest.raises(ValidationFailed, match="more than the Digitally-enabled initiative strand's award limit"):
        decisions.decide(session, w.manager, call, [(c.id, 75_000)])
    with pytest.raises(ValidationFailed, match="more than it asked for"):
        decisions.decide(session, w.manager, call, [(a.id, 60_000)])
    with pytest.raises(ValidationFailed, match="more than £0"):
        decisions.decide(session, w.manager, call, [(a.id, 0)])


def test_awards_create_projects_with_report_schedule(session: Session) -> None:
    w = f.world(session)
    call, (a, b, c) = _three(session, w)
    made = decisions.decide(session, w.manager, call, [(a.id, 50_000), (c.id, 75_000)], declines=[b.id])
    assert [m.grant_id for m in made] == [f"360G-test-covid-innovation-{a.reference}",
                                          f"360G-test-covid-innovation-{c.reference}"]
    assert b.state == "not_funded"
    from boroughs.fund import projects

    proj = projects.list_projects(session)
    assert len(proj) == 2 and len(projects.reports(session, proj[0])) == projects.REPORTS_PER_PROJECT
    with pytest.raises(ValidationFailed, match="cannot award a grant now: it is awarded"):
        decisions.decide(session, w.manager, call, [(a.id, 1)])


def test_declining_and_awarding_the_same_is_refused(session: Session) -> None:
    w = f.world(session)
    call, (a, _b, _c) = _three(session, w)
    with pytest.raises(ValidationFailed, match="both awarded and declined"):
        decisions.decide(session, w.manager, call, [(a.id, 1)], declines=[a.id])
