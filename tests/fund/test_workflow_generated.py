"""Transition tests generated from the workflow definitions (boroughs/fund/workflows.py).

For every transition of every workflow and every role: the role may take it in the owning organisation
exactly when the definition says so, never in a foreign organisation, and never from a state the
transition does not leave from. Then, on a real database, every proposal and project transition is
fired from each of its source states by an allowed person and refused for a disallowed one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from boroughs.core.errors import PermissionDenied, ValidationFailed
from boroughs.core.models import Role
from boroughs.core.workflow import Workflow
from boroughs.fund import assessment, calls, decisions, projects, proposals, submission
from boroughs.fund.calls import CALL_GUARDS
from boroughs.fund.cli import app
from boroughs.fund.projects import PROJECT_GUARDS
from boroughs.fund.submission import PROPOSAL_GUARDS
from boroughs.fund.workflows import CALL, PROJECT, PROPOSAL, WORKFLOWS
from tests.workflow_checks import (
    OWN,
    M,
    U,
    case_ids,
    cases,
    check_diagram_up_to_date,
    check_guards_implemented,
    check_reachable,
    check_who_may,
)

from . import factories as f

ROOT = Path(__file__).resolve().parents[2]
GUARDS = {"call": CALL_GUARDS, "proposal": PROPOSAL_GUARDS, "project": PROJECT_GUARDS}
CASES = cases(WORKFLOWS)


@pytest.mark.parametrize(("wf", "transition", "role"), CASES, ids=case_ids(CASES))
def test_who_may_take_each_transition(wf: Workflow, transition: str, role: Role) -> None:
    check_who_may(wf, transition, role, GUARDS[wf.name], refusal="cannot")


@pytest.mark.parametrize("wf", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_every_guard_is_implemented(wf: Workflow) -> None:
    check_guards_implemented(wf, GUARDS[wf.name])


def test_every_state_is_reachable() -> None:
    for wf in WORKFLOWS:
        check_reachable(wf)


def test_workflow_diagram_is_up_to_date() -> None:
    check_diagram_up_to_date(app, ROOT / "docs/fund/workflows.md", WORKFLOWS)


def test_refusal_names_who_may() -> None:
    user = U(1, [M(OWN, Role.COUNCIL_OFFICER.value)])
    with pytest.raises(PermissionDenied, match="council manager"):
        PROPOSAL.fire("submit", "draft", user, {"lead": [OWN]}, PROPOSAL_GUARDS, None)


# --- on a real database: each transition from each source state ----------------------------------

def _proposal_in(session: Session, w: f.World, state: str) -> proposals.Proposal:
    call = f.open_call(session, w)
    if state == "draft":
        p = f.draft(session, w, call)
        f.sign_all(session, w, p)
        return p
    p = f.submitted(session, w, call)
    if state == "submitted":
        return p
    f.in_assessment(session, w, call, [p])
    assert state == "in_assessment"
    return p


def _close_if_needed(session: Session, w: f.World, p: proposals.Proposal, name: str) -> None:
    if name == "start_assessment":
        calls.transition_call(session, w.manager, p.call, "close_submissions")


PROPOSAL_CASES = [(t.name, s) for t in PROPOSAL.transitions for s in t.source]


@pytest.mark.parametrize(("name", "state"), PROPOSAL_CASES, ids=[f"{n}-from-{s}" for n, s in PROPOSAL_CASES])
def test_proposal_transition_fires(session: Session, name: str, state: str) -> None:
    w = f.world(session)
    p = _proposal_in(session, w, state)
    t = PROPOSAL.transition(name)
    allowed = w.manager if t.owner == "fund_body" else w.head["barnet"]
    refused = w.officer["barnet"] if t.owner == "fund_body" else w.manager
    _close_if_needed(session, w, p, name)
    if name == "award":
        with pytest.raises(PermissionDenied):
            decisions.decide(session, refused, p.call, [(p.id, 1_000)])
        decisions.decide(session, allowed, p.call, [(p.id, 1_000)])
    elif name == "decline":
        with pytest.raises(PermissionDenied):
            decisions.decide(session, refused, p.call, [], declines=[p.id])
        decisions.decide(session, allowed, p.call, [], declines=[p.id])
    else:
        with pytest.raises(PermissionDenied):
            submission.transition(session, refused, p, name)
        submission.transition(session, allowed, p, name)
    assert p.state == t.target


@pytest.mark.parametrize("stage", ["discover", "define", "develop", "deliver"])
def test_project_gate_fires(session: Session, stage: str) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.submitted(session, w, call, data=False)
    f.in_assessment(session, w, call, [p])
    decisions.decide(session, w.manager, call, [(p.id, 50_000)])
    project = projects.list_projects(session)[0]
    project.stage = stage
    projects.add_evidence(session, w.officer["barnet"], project, stage=stage, title="Evidence",
                          url="https://example.org/e")
    with pytest.raises(PermissionDenied):
        projects.pass_gate(session, w.head["barnet"], project, "ok")
    projects.pass_gate(session, w.manager, project, "ok")
    assert project.stage == PROJECT.transition(f"pass_{stage}").target


def test_call_phases_fire(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    assert call.phase == "open"
    for name in ("close_submissions", "start_decisions"):
        with pytest.raises(PermissionDenied):
            calls.transition_call(session, w.panel[0], call, name)
        calls.transition_call(session, w.manager, call, name)
    with pytest.raises(ValidationFailed, match="at least one award"):
        calls.transition_call(session, w.manager, call, "start_delivery")
    assert call.phase == CALL.transition("start_decisions").target
    assert assessment  # imported for the factories' use
