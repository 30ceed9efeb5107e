"""Workflows as data: a small engine that turns a declarative definition into a state machine.

Every area uses it (the fund's calls, proposals and projects; support's referrals, rule-set approval and
outreach cases). A :class:`Workflow` lists its states and its transitions. Each :class:`Transition` says
which states it leaves from, where it goes, which roles may take it, whose organisation the person must
belong to (``owner``: a key of the workflow's ``owners``, e.g. the fund's ``lead`` council or a referral's
``receiver``) and which named guards must pass. From that one definition come:

- the permission actions (``<area>.<workflow>.<transition>``), registered with ``boroughs.core.permissions``
  (a transition may instead name an ``action`` its area already registers, e.g. support's
  ``support.referral.respond``, which then decides who may take it);
- the state machine (:meth:`Workflow.fire`), which refuses with a clear reason;
- the transition tests (e.g. ``tests/fund/test_workflow_generated.py``), parametrised over every transition
  and every role;
- the Mermaid diagrams in the docs (e.g. ``boroughs fund workflow-docs``).

A transition with no roles is one Boroughs takes itself (a scheduler returning an overdue referral, a
withdrawn consent withdrawing the referrals that relied on it): nobody may take it by hand, and its
service checks it with :meth:`Workflow.check` instead of :meth:`Workflow.fire`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from boroughs.core.errors import PermissionDenied, ValidationFailed
from boroughs.core.models import ROLE_LABELS, Role
from boroughs.core.permissions import can, register

# A guard looks at the object (and whatever else it needs) and returns None when the transition may go
# ahead, or a sentence saying why it may not (or raises its own error, e.g. PermissionDenied).
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
    # an action the area already registers, checked instead of ``<area>.<workflow>.<transition>``
    action: str = ""
    # what to say when it is taken from a state it does not leave from (``{state}``: the state's label,
    # lower case); by default a sentence naming the states it may be taken from
    refusal: str = ""

    @property
    def automatic(self) -> bool:
        """Taken by Boroughs itself, never by a person."""
        return not self.roles


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
        return self.transition(transition).action or f"{self.area}.{self.name}.{transition}"

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
            if not t.action and not t.automatic:
                register(self.action(t.name), t.roles, "own", t.label[0].lower() + t.label[1:])

    def may(self, user: Any, name: str, owners: Mapping[str, Iterable[int]]) -> bool:
        """True when ``user`` holds one of the transition's roles in an organisation of its owner."""
        t = self.transition(name)
        if t.automatic:
            return False
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
        self._check_state(t, state)
        if not self.may(user, name, owners):
            if t.automatic:
                raise PermissionDenied(f"Nobody may {t.label[0].lower() + t.label[1:]} by hand: Boroughs does it.")
            roles = ", ".join(sorted(ROLE_LABELS[r].lower() for r in t.roles))
            raise PermissionDenied(
                f"Only a {roles} in {self.owners[t.owner]} may {t.label[0].lower() + t.label[1:]}."
            )
        self._check_guards(t, guards, subject)
        return t.target

    def check(self, name: str, state: str, guards: Mapping[str, Guard], subject: Any) -> str:
        """Like :meth:`fire` without the person: for a transition Boroughs takes itself (``automatic``), or
        where the service is called with no person (the demo data, an internal caller) and the caller has
        already decided it may go ahead."""
        t = self.transition(name)
        self._check_state(t, state)
        self._check_guards(t, guards, subject)
        return t.target

    def _check_state(self, t: Transition, state: str) -> None:
        if state in t.source:
            return
        if t.refusal:
            raise ValidationFailed(t.refusal.format(state=self.states.get(state, state).lower()))
        allowed = ", ".join(self.states[s] for s in t.source)
        raise ValidationFailed(
            f"You cannot {t.label.lower()} now: it is {self.states[state].lower()}. "
            f"This can only be done when it is {allowed.lower()}."
        )

    @staticmethod
    def _check_guards(t: Transition, guards: Mapping[str, Guard], subject: Any) -> None:
        for g in t.guards:
            reason = guards[g](subject)
            if reason:
                raise ValidationFailed(reason)

    def available(
        self, state: str, user: Any, owners: Mapping[str, Iterable[int]]
    ) -> list[Transition]:
        """Transitions ``user`` could take from ``state`` (guards not yet checked): for buttons."""
        return [t for t in self.from_state(state) if self.may(user, t.name, owners)]


def _who(t: Transition) -> str:
    return ", ".join(sorted(ROLE_LABELS[r] for r in t.roles))


def to_mermaid(wf: Workflow) -> str:
    """A Mermaid state diagram of the workflow, labelled with who may take each transition."""
    lines = ["stateDiagram-v2", f"    [*] --> {wf.initial}"]
    for state, label in wf.states.items():
        lines.append(f"    {state} : {label}")
    for t in wf.transitions:
        who = _who(t) or wf.owners[t.owner]
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
            who = f"{_who(t)} in {wf.owners[t.owner]}" if t.roles else wf.owners[t.owner]
            checks = "; ".join(wf.guard_help[g] for g in t.guards) or "none"
            src = ", ".join(wf.states[s] for s in t.source)
            out.append(f"| {t.label} | {src} | {wf.states[t.target]} | {who} | {checks} |")
        out.append("")
    return "\n".join(out)
