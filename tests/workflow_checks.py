"""What every area's generated workflow tests share (issue 16): a stand-in person holding one role in one
organisation, the cases (every transition of every workflow × every role) and the check that a role may
take a transition exactly when the definition says so, only in the owning organisation, and never from a
state the transition does not leave from; that the named guards and the implemented ones agree; that every
state can be reached; and that the generated diagrams are up to date."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from boroughs.core.errors import ValidationFailed
from boroughs.core.models import Role
from boroughs.core.workflow import Workflow

OWN, FOREIGN = 10, 20


@dataclass
class M:
    organisation_id: int
    role: str


@dataclass
class U:
    id: int
    memberships: list[M] = field(default_factory=list)
    is_active: bool = True
    name: str = "Someone"


def cases(workflows: Iterable[Workflow]) -> list[tuple[Workflow, str, Role]]:
    return [(wf, t.name, role) for wf in workflows for t in wf.transitions for role in Role]


def case_ids(cases: list[tuple[Workflow, str, Role]]) -> list[str]:
    return [f"{wf.name}.{t}.{r.value}" for wf, t, r in cases]


def check_who_may(wf: Workflow, transition: str, role: Role, guards: Mapping[str, Any],
                  refusal: str | None = None) -> tuple[U, dict[str, list[int]]]:
    """The checks above; returns the person and the owners used, for an area's own further checks."""
    t = wf.transition(transition)
    user = U(1, [M(OWN, role.value)])
    owners = {t.owner: [OWN]}
    assert wf.may(user, transition, owners) is (role in t.roles)
    assert wf.may(user, transition, {t.owner: [FOREIGN]}) is False
    for state in wf.states:  # from a state it does not leave from, it is refused whoever asks
        if state not in t.source:
            with pytest.raises(ValidationFailed, match=refusal):
                wf.fire(transition, state, user, owners, guards, None)
    return user, owners


def check_guards_implemented(wf: Workflow, guards: Mapping[str, Any]) -> None:
    named = {g for t in wf.transitions for g in t.guards}
    assert named <= set(guards), named - set(guards)
    assert set(guards) <= named, "a guard is implemented but no transition uses it"


def check_reachable(wf: Workflow) -> None:
    seen, todo = {wf.initial}, [wf.initial]
    while todo:
        for t in wf.from_state(todo.pop()):
            if t.target not in seen:
                seen.add(t.target)
                todo.append(t.target)
    assert seen == set(wf.states), f"{wf.name}: unreachable {set(wf.states) - seen}"


def check_diagram_up_to_date(cli: Any, page: Path, workflows: Iterable[Workflow]) -> str:
    """The area's ``workflow-docs --check`` passes and the page names every step; returns the page."""
    r = CliRunner().invoke(cli, ["workflow-docs", "--check", "--out", str(page)])
    assert r.exit_code == 0, r.output
    text = page.read_text()
    for wf in workflows:
        for t in wf.transitions:
            assert t.label in text
    return text
