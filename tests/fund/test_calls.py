"""Calls and strands: budgets, award limits, opening rules and the public list of proposals."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from boroughs.core.db import utcnow
from boroughs.core.errors import PermissionDenied, ValidationFailed
from boroughs.fund import calls

from . import factories as f


def test_strands_cannot_exceed_the_total(session: Session) -> None:
    w = f.world(session)
    call = calls.create_call(session, w.manager, fund_body_id=w.fund.id, slug="c", title="C", total_budget=100_000)
    calls.add_strand(session, w.manager, call, slug="a", title="A", budget=75_000, award_limit=50_000)
    with pytest.raises(ValidationFailed, match="at most £25,000"):
        calls.add_strand(session, w.manager, call, slug="b", title="B", budget=30_000, award_limit=30_000)
    with pytest.raises(ValidationFailed, match="award limit .* cannot be more than"):
        calls.add_strand(session, w.manager, call, slug="b", title="B", budget=10_000, award_limit=20_000)
    with pytest.raises(ValidationFailed, match="whole pounds"):
        calls.add_strand(session, w.manager, call, slug="b", title="B", budget="10.5", award_limit=1)


def test_opening_needs_deadline_strands_and_rubric(session: Session) -> None:
    w = f.world(session)
    call = calls.create_call(session, w.manager, fund_body_id=w.fund.id, slug="c", title="C", total_budget=1000)
    with pytest.raises(ValidationFailed, match="set a deadline, add at least one strand, add the assessment"):
        calls.transition_call(session, w.manager, call, "open")
    assert call.phase == "drafting"


def test_only_the_fund_bodys_managers_run_calls(session: Session) -> None:
    w = f.world(session)
    with pytest.raises(PermissionDenied):
        calls.create_call(session, w.panel[0], fund_body_id=w.fund.id, slug="c", title="C", total_budget=1)
    with pytest.raises(PermissionDenied):
        calls.create_call(session, w.officer["barnet"], fund_body_id=w.fund.id, slug="c", title="C", total_budget=1)
    with pytest.raises(PermissionDenied):  # a fund manager of LOTI cannot run a call for a council
        calls.create_call(session, w.manager, fund_body_id=w.councils["barnet"].id, slug="c", title="C",
                          total_budget=1)


def test_bad_slug_and_dates(session: Session) -> None:
    w = f.world(session)
    with pytest.raises(ValidationFailed, match="lower-case"):
        calls.create_call(session, w.manager, fund_body_id=w.fund.id, slug="Bad Slug", title="C", total_budget=1)
    now = utcnow()
    with pytest.raises(ValidationFailed, match="deadline must be after"):
        calls.create_call(session, w.manager, fund_body_id=w.fund.id, slug="c", title="C", total_budget=1,
                          opens_at=now, deadline=now - dt.timedelta(days=1))


def test_public_list_only_after_the_deadline(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    sub = f.submitted(session, w, call, title="Submitted one")
    f.draft(session, w, call, lead="newham", partners=("hackney",), title="Still a draft")
    assert calls.public_proposals(session, call) is None
    call.deadline = utcnow() - dt.timedelta(seconds=1)
    listed = calls.public_proposals(session, call)
    assert listed is not None and [p.id for p in listed] == [sub.id]
