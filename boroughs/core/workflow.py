"""Workflows as data: a small engine that turns a declarative definition into a state machine.

Every area uses it (the fund's calls, proposals and projects; support's referrals, rule-set approval and
outreach cases). A :class:`Workflow` lists its states and its transitions. Each :class:`Transition` says
which states it leaves from, where it goes, which roles may take it, whose organisation the person must
belong to (``owner``: a key of the workflow's ``owners``, e.g. the fund's ``lead`` council or a referral's
``receiver``) and which named guards must pass. From that one definition come:

- the permission actions (``<area>.<workflow>.<transition>``), registered with ``boroughs.core.permissions``;
- the state machine (:meth:`Workflow.fire`), which refuses with a clear reason;
- the transition tests (e.g. ``tests/fund/test_workflow_generated.py``), parametrised over every transition
  and every role;
- the Mermaid diagrams in the docs (e.g. ``boroughs fund workflow-docs``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from boroughs.core.errors import PermissionDenied, ValidationFailed
from boroughs.core.models import ROLE_LABELS, Role
from boroughs.core.permissions import can, register

# A guard looks at the object (and whatever else it needs) and returns None when the transition may go
# ahead, or a sentence saying why it may not.
Guard = Callable[[Any], str | None]


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    source: tuple[str, ...]
    target: str
    roles: frozenset[Role]
    owner: str
    guards: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Workflow:
    name: str
    title: str
    states: Mapping[str, str]  # state -> plain-English label
    initial: str
    transitions: tuple[Transition, ...]
    guard_help: Mapping[str, str] = field(default_factory=dict)
    area: str = ""  # the permission actions' prefix: the name of the area the workflow belongs to
    owners: Mapping[str, str] = field(default_factory=dict)  # owner kind -> plain-English label

    def __post_init__(self) -> None:
        if not self.area:
            raise ValueError(f"{self.name}: a workflow names its area")
        if self.initial not in self.states:
            raise ValueError(f"{self.name}: initial state {self.initial!r} is not a state")
        names = [t.name for t in self.transitions]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.name}: transition names must be unique")
        for t in self.transitions:
            if t.owner not in self.owners:
                raise ValueError(f"{self.name}.{t.name}: owner {t.owner!r} has no label in owners")
            for s in (*t.source, t.target):
                if s not in self.states:
                    raise ValueError(f"{self.name}.{t.name}: unknown state {s!r}")
            for g in t.guards:
                if g not in self.guard_help:
                    raise ValueError(f"{self.name}.{t.name}: guard {g!r} has no description in guard_help")

    def action(self, transition: str) -> str:
        return f"{self.area}.{self.name}.{transition}"

    def transition(self, name: str) -> Transition:
        for t in self.transitions:
            if t.name == name:
                return t
        raise KeyError(f"{self.name} has no transition {name!r}")

    def from_state(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.source]

    def label(self, state: str) -> str:
        return self.states[state]

    def register_actions(self) -> None:
        for t in self.transitions:
            register(self.action(t.name), t.roles, "own", t.label[0].lower() + t.label[1:])

    def may(self, user: Any, name: str, owners: Mapping[str, Iterable[int]]) -> bool:
        """True when ``user`` holds one of the transition's roles in an organisation of its owner."""
        t = self.transition(name)
        return any(can(user, self.action(name), org_id) for org_id in owners.get(t.owner, ()))

    def fire(
        self,
        name: str,
        state: str,
        user: Any,
        owners: Mapping[str, Iterable[int]],
        guards: Mapping[str, Guard],
        subject: Any,
    ) -> str:
        """Check a transition and return the new state, or raise with a reason the user can act on.

        ``owners`` maps each owner kind to the organisation ids that count as it for this object;
        ``guards`` maps guard names to functions of ``subject``. Nothing is changed here: the caller
        sets the state it is given back.
        """
        t = self.transition(name)
        if state not in t.source:
            allowed = ", ".join(self.states[s] for s in t.source)
            raise ValidationFailed(
                f"You cannot {t.label.lower()} now: it is {self.states[state].lower()}. "
                f"This can only be done when it is {allowed.lower()}."
            )
        if not self.may(user, name, owners):
            roles = ", ".join(sorted(ROLE_LABELS[r].lower() for r in t.roles))
            raise PermissionDenied(
                f"Only a {roles} in {self.owners[t.owner]} may {t.label[0].lower() + t.label[1:]}."
            )
        for g in t.guards:
            reason = guards[g](subject)
            if reason:
                raise ValidationFailed(reason)
        return t.target

    def available(
        self, state: str, user: Any, owners: Mapping[str, Iterable[int]]
    ) -> list[Transition]:
        """Transitions ``user`` could take from ``state`` (guards not yet checked): for buttons."""
        return [t for t in self.from_state(state) if self.may(user, t.name, owners)]


def to_mermaid(wf: Workflow) -> str:
    """A Mermaid state diagram of the workflow, labelled with who may take each transition."""
    lines = ["stateDiagram-v2", f"    [*] --> {wf.initial}"]
    for state, label in wf.states.items():
        lines.append(f"    {state} : {label}")
    for t in wf.transitions:
        who = ", ".join(sorted(ROLE_LABELS[r] for r in t.roles))
        for s in t.source:
            lines.append(f"    {s} --> {t.target} : {t.label} ({who})")
    terminal = [s for s in wf.states if not wf.from_state(s)]
    for s in terminal:
        lines.append(f"    {s} --> [*]")
    return "\n".join(lines)


def to_markdown(workflows: Iterable[Workflow], title: str, command: str, source: str) -> str:
    """A generated workflows page: a diagram and a table per workflow.

    ``command`` is the command that regenerates the page and ``source`` the module with the definitions.
    """
    out = [
        f"# {title}",
        "",
        f"<!-- Generated by `{command}`; do not edit by hand. The definitions are in {source}. -->",
        "",
        "Each workflow below is generated from its one declarative definition, which also drives the "
        "state machine, the permission checks and the transition tests.",
        "",
    ]
    for wf in workflows:
        out += [f"## {wf.title}", "", "```mermaid", to_mermaid(wf), "```", ""]
        out += ["| Step | From | To | Who may take it | Checks |", "|---|---|---|---|---|"]
        for t in wf.transitions:
            who = ", ".join(sorted(ROLE_LABELS[r] for r in t.roles)) + f" in {wf.owners[t.owner]}"
            checks = "; ".join(wf.guard_help[g] for g in t.guards) or "none"
            src = ", ".join(wf.states[s] for s in t.source)
            out.append(f"| {t.label} | {src} | {wf.states[t.target]} | {who} | {checks} |")
        out.append("")
    return "\n".join(out)
