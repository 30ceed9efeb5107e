"""Assessment: automatic and declared recusal, scoring, blind review, moderation and ranking (issue 8)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from boroughs.core.errors import PermissionDenied, ValidationFailed
from boroughs.fund import assessment, partnership
from boroughs.fund.models import Assignment, Conflict, Score

from . import factories as f


def test_panel_member_from_a_partner_is_recused_automatically(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.submitted(session, w, call, lead="barnet", partners=("brent",))
    f.in_assessment(session, w, call, [p])
    assigned = {a.user_id for a in session.query(Assignment).filter_by(proposal_id=p.id)}
    assert assigned == {m.id for m in w.panel}
    conflict = session.query(Conflict).filter_by(proposal_id=p.id, user_id=w.panel_brent.id).one()
    assert conflict.kind == "automatic" and "Brent" in conflict.reason
    with pytest.raises(ValidationFailed, match="Bea Brent cannot assess this proposal.*Brent"):
        assessment.assign(session, w.manager, p, w.panel_brent.id)


def test_recused_reviewer_trying_to_score_is_refused(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.submitted(session, w, call, lead="barnet", partners=("brent",))
    f.in_assessment(session, w, call, [p])
    with pytest.raises(PermissionDenied, match="recused"):
        assessment.score(session, w.panel_brent, p, call.criteria[0].id, 5, "Brilliant")
    assert session.query(Score).count() == 0
    with pytest.raises(PermissionDenied, match="recused"):
        assessment.visible_result(session, w.panel_brent, p)


def test_interested_borough_counts_for_recusal(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.draft(session, w, call, lead="newham", partners=("hackney",))

    partnership.add_partner(session, w.officer["newham"], p, organisation_id=w.councils["brent"].id, kind="interested")
    assert assessment.recusal_reason(session, w.panel_brent, p) is not None


def test_declared_conflict_voids_earlier_scores(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.submitted(session, w, call, lead="newham", partners=("hackney",))
    f.in_assessment(session, w, call, [p])
    for c in call.criteria:
        assessment.score(session, w.panel[0], p, c.id, 5, "Strong")
        assessment.score(session, w.panel[1], p, c.id, 1, "Weak")
    assert assessment.result(session, p).weighted == 3
    assessment.declare_conflict(session, w.panel[0], p, "I advised Hackney on this bid")
    r = assessment.result(session, p)
    assert r.weighted == 1 and r.assessors == 1
    assert session.query(Score).filter_by(user_id=w.panel[0].id).count() == 3  # kept for the record
    with pytest.raises(PermissionDenied, match="declared a conflict"):
        assessment.score(session, w.panel[0], p, call.criteria[0].id, 5, "x")


def test_scores_are_whole_numbers_0_to_5_with_comments(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.submitted(session, w, call)
    f.in_assessment(session, w, call, [p])
    crit = call.criteria[0].id
    for bad in (6, -1, "3.5", "four", ""):
        with pytest.raises(ValidationFailed, match="whole number from 0 to 5"):
            assessment.score(session, w.panel[0], p, crit, bad, "c")
    with pytest.raises(ValidationFailed, match="add a comment"):
        assessment.score(session, w.panel[0], p, crit, 3, "  ")
    s = assessment.score(session, w.panel[0], p, crit, "0", "Nothing on impact")
    assert s.score == 0
    assessment.score(session, w.panel[0], p, crit, 2, "Changed my mind")
    assert session.query(Score).count() == 1


def test_unassigned_panel_member_cannot_score(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.submitted(session, w, call)
    f.in_assessment(session, w, call, [p])
    session.query(Assignment).filter_by(user_id=w.panel[1].id).delete()
    with pytest.raises(PermissionDenied, match="not been assigned"):
        assessment.score(session, w.panel[1], p, call.criteria[0].id, 3, "x")


def test_weighted_ranking_and_spread(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    a = f.submitted(session, w, call, lead="newham", partners=("hackney",), title="A")
    b = f.submitted(session, w, call, lead="newham", partners=("sutton",), title="B")
    f.in_assessment(session, w, call, [a, b])
    impact, repl, deliv = call.criteria  # weights 3, 2, 1
    for m, scores in ((w.panel[0], (5, 1, 1)), (w.panel[1], (1, 1, 1))):
        for c, s in zip((impact, repl, deliv), scores, strict=True):
            assessment.score(session, m, a, c.id, s, "c")
    for m in w.panel:
        for c in (impact, repl, deliv):
            assessment.score(session, m, b, c.id, 3, "c")
    ra = assessment.result(session, a)
    assert ra.weighted == pytest.approx((3 * 3 + 2 * 1 + 1 * 1) / 6)
    assert [c.criterion.title for c in ra.wide_spread] == ["Impact on residents"]
    ranked = assessment.ranking(session, call)[call.strands[0].id]
    assert [r.proposal.title for r in ranked] == ["B", "A"]  # 3.0 before 2.0
    assessment.moderate(session, w.manager, a, "Panel agreed impact is 3.")
    assert a.moderation_note


def test_blind_review_hides_partners_from_panel(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w, blind=True)
    p = f.submitted(session, w, call)
    assert assessment.display_partners(p, w.panel[0]) == "Hidden for blind review"
    assert "Barnet" in assessment.display_partners(p, w.manager)
