"""Transition tests generated from support's workflow definitions (``boroughs/support/*/workflow.py``).

For every transition of the referral, rule-set and outreach-case workflows and every role: the role may take
it in the owning organisation exactly when the definition says so, never in a foreign organisation, never
from a state the transition does not leave from, and nobody may take one of Boroughs' own (automatic) steps
by hand. Every step checks a permission action support already registers (none is renamed or added). Then,
on a real database, every transition is taken from each of its source states through the services, by an
allowed person, and refused for a disallowed one.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from boroughs.core import permissions
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import Organisation, Role, User
from boroughs.core.workflow import Workflow
from boroughs.support.cli import app
from boroughs.support.governance import service as governance
from boroughs.support.governance.models import Agreement
from boroughs.support.outreach import service as outreach
from boroughs.support.outreach.models import OutreachCase
from boroughs.support.outreach.service import CASE_GUARDS
from boroughs.support.outreach.workflow import OUTREACH_CASE
from boroughs.support.referrals import service as referral
from boroughs.support.referrals.models import Referral
from boroughs.support.referrals.service import REFERRAL_GUARDS
from boroughs.support.referrals.workflow import REFERRAL
from boroughs.support.rules import service as rules_service
from boroughs.support.rules.models import RuleSetVersion
from boroughs.support.rules.service import RULE_SET_GUARDS
from boroughs.support.rules.workflow import RULE_SET
from boroughs.support.workflows import WORKFLOWS
from tests.workflow_checks import (
    case_ids,
    cases,
    check_diagram_up_to_date,
    check_guards_implemented,
    check_reachable,
    check_who_may,
)

from .outreach_factories import council, frames, person
from .referral_factories import World, resident, world

ROOT = Path(__file__).resolve().parents[2]
GUARDS = {"referral": REFERRAL_GUARDS, "rules": RULE_SET_GUARDS, "outreach": CASE_GUARDS}
CASES = cases(WORKFLOWS)


@pytest.mark.parametrize(("wf", "transition", "role"), CASES, ids=case_ids(CASES))
def test_who_may_take_each_transition(wf: Workflow, transition: str, role: Role) -> None:
    t = wf.transition(transition)
    user, owners = check_who_may(wf, transition, role, GUARDS[wf.name])
    for state in wf.states:  # nor does Boroughs itself take it from such a state
        if state not in t.source:
            with pytest.raises(ValidationFailed):
                wf.check(transition, state, GUARDS[wf.name], None)
    if t.automatic:  # Boroughs' own steps: nobody takes them by hand
        with pytest.raises(PermissionDenied, match="Boroughs does it"):
            wf.fire(transition, t.source[0], user, owners, GUARDS[wf.name], None)
    elif role not in t.roles:
        with pytest.raises(PermissionDenied, match="Only a"):
            wf.fire(transition, t.source[0], user, owners, GUARDS[wf.name], None)


@pytest.mark.parametrize("wf", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_every_step_checks_an_existing_action(wf: Workflow) -> None:
    """Support's workflows name the actions support already registers, with the same roles: no action is
    renamed, and none is registered for them (the permission matrix is unchanged)."""
    for t in wf.transitions:
        if t.automatic:
            assert not t.action, f"{wf.name}.{t.name}: Boroughs' own step needs no permission"
            continue
        assert t.action, f"{wf.name}.{t.name}: name the existing support action it checks"
        assert t.action in permissions.ACTIONS, t.action
        assert permissions.ACTIONS[t.action].roles == t.roles, f"{wf.name}.{t.name}: roles differ from {t.action}"
        assert wf.action(t.name) == t.action
    generated = {f"{wf.area}.{wf.name}.{t.name}" for t in wf.transitions} - {t.action for t in wf.transitions}
    assert not generated & set(permissions.ACTIONS)


@pytest.mark.parametrize("wf", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_every_guard_is_implemented(wf: Workflow) -> None:
    check_guards_implemented(wf, GUARDS[wf.name])


def test_every_state_is_reachable() -> None:
    for wf in WORKFLOWS:
        check_reachable(wf)


def test_workflow_diagram_is_up_to_date() -> None:
    text = check_diagram_up_to_date(app, ROOT / "docs/support/workflows.md", WORKFLOWS)
    for wf in WORKFLOWS:
        assert "```mermaid" in text and wf.title in text


def test_workflow_docs_check_fails_when_out_of_date(tmp_path: Path) -> None:
    stale = tmp_path / "workflows.md"
    stale.write_text("old\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["workflow-docs", "--check", "--out", str(stale)])
    assert r.exit_code == 1 and "out of date" in r.output
    r = CliRunner().invoke(app, ["workflow-docs", "--out", str(stale)])
    assert r.exit_code == 0 and "## Referrals" in stale.read_text(encoding="utf-8")


# --- on a real database: referrals --------------------------------------------------------------------

def _consented_referral(session: Session, w: World) -> Referral:
    """A referral to Digital Buddies, shared on the resident's consent."""
    bo = w.residents["bo"]
    agreement = session.scalars(select(Agreement).where(Agreement.reference == "DSA-DEMO-2026-02")).one()
    governance.record_consent(
        session, council_id=w.orgs["newham"].id, resident_id=bo.id, agreement_id=agreement.id,
        scope="Share my name, phone and postcode with Digital Buddies so they can help me get online",
        given_on=utcnow().date(), method="phone", recorded_by=w.users["officer"])
    batch = referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id, resident_id=bo.id,
                                    service_ids=[w.services["device"].id], needs_list=["digital"], reason="Online")
    return batch.referrals[0]


def _put_in(session: Session, w: World, ref: Referral, state: str, who: str) -> None:
    if state in ("accepted", "in_contact"):
        referral.accept(session, w.users[who], ref)
    if state == "in_contact":
        referral.record_contact(session, w.users[who], ref, "Phoned")
    assert ref.status == state


def _take(session: Session, user: User, ref: Referral, name: str) -> None:
    if name == "accept":
        referral.accept(session, user, ref)
    elif name == "decline":
        referral.decline(session, user, ref, "No capacity this month")
    elif name == "contact":
        referral.record_contact(session, user, ref, "Phoned, arranged a visit")
    else:
        referral.record_outcome(session, user, ref, "help_given")


REFERRAL_CASES = [(t.name, s) for t in REFERRAL.transitions if not t.automatic for s in t.source]


@pytest.mark.parametrize(("name", "state"), REFERRAL_CASES, ids=[f"{n}-from-{s}" for n, s in REFERRAL_CASES])
def test_referral_step_fires(session: Session, name: str, state: str) -> None:
    w = world(session)
    ref = referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id,
                                  resident_id=w.residents["ada"].id, service_ids=[w.services["food"].id],
                                  needs_list=["food"], reason=None).referrals[0]
    _put_in(session, w, ref, state, "eastside")
    # anyone outside the receiving organisation is told there is no such referral
    for outsider in ("other", "officer"):
        with pytest.raises(NotFound):
            _take(session, w.users[outsider], ref, name)
    _take(session, w.users["eastside_manager"], ref, name)
    assert ref.status == REFERRAL.transition(name).target


@pytest.mark.parametrize("state", REFERRAL.transition("withdraw").source)
def test_referral_withdrawn_with_consent(session: Session, state: str) -> None:
    w = world(session)
    ref = _consented_referral(session, w)
    _put_in(session, w, ref, state, "buddies")
    consent = session.get(governance.Consent, ref.consent_id)
    assert consent is not None
    assert governance.withdraw_consent(session, consent, w.users["officer"], "Resident phoned") == 1
    assert ref.status == REFERRAL.transition("withdraw").target
    with pytest.raises(ValidationFailed, match="cannot"):
        referral.accept(session, w.users["buddies"], ref)


def test_referral_returned_when_nobody_accepts(session: Session) -> None:
    w = world(session)
    ref = referral.send_referrals(session, w.users["officer"], council_id=w.orgs["newham"].id,
                                  resident_id=w.residents["ada"].id, service_ids=[w.services["food"].id],
                                  needs_list=["food"], reason=None).referrals[0]
    late = ref.respond_by + (ref.respond_by - ref.sent_at) + dt.timedelta(hours=1)
    assert referral.process_overdue(session, late)["returned"] == 1
    assert ref.status == REFERRAL.transition("return").target


def test_accept_refused_once_the_council_may_no_longer_share(session: Session) -> None:
    w = world(session)
    ref = _consented_referral(session, w)
    consent = session.get(governance.Consent, ref.consent_id)
    assert consent is not None
    consent.expires_on = utcnow().date() - dt.timedelta(days=1)
    session.flush()
    with pytest.raises(ValidationFailed, match="can no longer share"):
        referral.accept(session, w.users["buddies"], ref)
    assert ref.status == "sent"


# --- on a real database: rule-set approval ------------------------------------------------------------

@dataclass
class RulesWorld:
    org: Organisation
    officer: User
    manager: User
    manager2: User
    analyst: User
    foreign: User


def _rules_world(session: Session) -> RulesWorld:
    org = council(session)
    other = council(session, "hackney", "E09000012")
    return RulesWorld(
        org,
        person(session, "o@n.test", "Olu Officer", (org, Role.COUNCIL_OFFICER)),
        person(session, "m@n.test", "Meera Manager", (org, Role.COUNCIL_MANAGER)),
        person(session, "m2@n.test", "Mo Manager", (org, Role.COUNCIL_MANAGER)),
        person(session, "a@n.test", "Ana Analyst", (org, Role.COUNCIL_ANALYST)),
        person(session, "h@h.test", "Harry Manager", (other, Role.COUNCIL_MANAGER)),
    )


FRAMES = frames({1: {}, 2: {}, 3: {}})


def _version_in(session: Session, w: RulesWorld, state: str) -> RuleSetVersion:
    v = rules_service.create_draft(session, w.org.id, w.officer)
    if state in ("submitted", "rejected"):
        rules_service.submit(session, v, w.officer, FRAMES)
    if state == "rejected":
        rules_service.reject(session, v, w.manager, "Explain the change")
    assert v.status == state
    return v


def _rules_step(session: Session, user: User, v: RuleSetVersion, name: str) -> None:
    if name == "edit":
        rules_service.update_draft(session, v, user, v.body, "a change")
    elif name == "submit":
        rules_service.submit(session, v, user, FRAMES)
    elif name == "approve":
        rules_service.approve(session, v, user, "ok", FRAMES)
    else:
        rules_service.reject(session, v, user, "Explain the change")


RULES_CASES = [(t.name, s) for t in RULE_SET.transitions if not t.automatic for s in t.source]


@pytest.mark.parametrize(("name", "state"), RULES_CASES, ids=[f"{n}-from-{s}" for n, s in RULES_CASES])
def test_rule_set_step_fires(session: Session, name: str, state: str) -> None:
    w = _rules_world(session)
    v = _version_in(session, w, state)
    t = RULE_SET.transition(name)
    managers_only = t.roles == {Role.COUNCIL_MANAGER}
    for user in [w.foreign] + ([w.analyst, w.officer] if managers_only else []):
        with pytest.raises(PermissionDenied):
            _rules_step(session, user, v, name)
    _rules_step(session, w.manager2 if managers_only else w.officer, v, name)
    assert v.status == t.target


def test_rule_set_approval_needs_another_manager_and_replaces_the_live_version(session: Session) -> None:
    w = _rules_world(session)
    first = _version_in(session, w, "submitted")
    rules_service.approve(session, first, w.manager, "ok", FRAMES)
    mine = rules_service.create_draft(session, w.org.id, w.manager)
    rules_service.submit(session, mine, w.manager, FRAMES)
    with pytest.raises(ValidationFailed, match="another manager must approve it"):
        rules_service.approve(session, mine, w.manager, "ok", FRAMES)
    rules_service.approve(session, mine, w.manager2, "ok", FRAMES)
    assert (first.status, mine.status) == (RULE_SET.transition("supersede").target, "approved")
    with pytest.raises(ValidationFailed, match="Only a version waiting for approval"):
        rules_service.reject(session, mine, w.manager2, "too late")


# --- on a real database: outreach cases ---------------------------------------------------------------

def _case(session: Session, w: RulesWorld, state: str) -> OutreachCase:
    r = resident(session, w.org, "Ada", "Synthetic")
    case = OutreachCase(organisation_id=w.org.id, resident_id=r.id, status="open", severity="high", priority=1,
                        assigned_to_id=w.officer.id)
    session.add(case)
    session.flush()
    if state == "in_progress":
        outreach.record_contact(session, case, w.officer, channel="phone", outcome="no_answer")
    assert case.status == state
    return case


def _case_step(session: Session, user: User, case: OutreachCase, name: str) -> None:
    if name == "work":
        outreach.record_needs(session, case, user, {"food": ("urgent", None)})
    else:
        outreach.close_case(session, case, user, "supported")


CASE_CASES = [(t.name, s) for t in OUTREACH_CASE.transitions if not t.automatic for s in t.source]


@pytest.mark.parametrize(("name", "state"), CASE_CASES, ids=[f"{n}-from-{s}" for n, s in CASE_CASES])
def test_outreach_step_fires(session: Session, name: str, state: str) -> None:
    w = _rules_world(session)
    case = _case(session, w, state)
    other_officer = person(session, "o2@n.test", "Ola Officer", (w.org, Role.COUNCIL_OFFICER))
    for user in (w.foreign, w.analyst, other_officer):  # another council; no casework role; not assigned
        with pytest.raises(PermissionDenied):
            _case_step(session, user, case, name)
    _case_step(session, w.manager, case, name)
    assert case.status == OUTREACH_CASE.transition(name).target
    with pytest.raises(ValidationFailed, match="This case is closed") if case.status == "closed" else nullcontext():
        _case_step(session, w.officer, case, name)


@pytest.mark.parametrize("state", OUTREACH_CASE.transition("opt_out").source)
def test_outreach_case_closed_on_objection(session: Session, state: str) -> None:
    w = _rules_world(session)
    case = _case(session, w, state)
    assert outreach.close_for_opt_out(session, w.org.id, case.resident_id, w.officer) == 1
    assert (case.status, case.closing_reason) == (OUTREACH_CASE.transition("opt_out").target, "opted_out")
