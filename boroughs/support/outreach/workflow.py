"""Outreach cases, declared once (see ``boroughs.core.workflow``).

A case opens *not started* when a flag run finds a resident; working it (a contact attempt, a needs
assessment) moves it *in progress*; an officer or manager closes it with a reason, and Boroughs closes it
itself when the resident objects to profiling. Every step by a person is checked against the existing
``support.outreach.work`` action, and officers work only the cases assigned to them (managers any case of
their council). ``boroughs support workflow-docs`` draws it in ``docs/support/workflows.md``. The guards are
implemented in ``boroughs.support.outreach.service`` (``CASE_GUARDS``).
"""

from __future__ import annotations

from boroughs.core.models import Role
from boroughs.core.workflow import Transition, Workflow

CASEWORKERS = frozenset({Role.COUNCIL_OFFICER, Role.COUNCIL_MANAGER})
WORK = "support.outreach.work"
ACTIVE = ("open", "in_progress")

OUTREACH_CASE = Workflow(
    area="support",
    owners={"council": "the council", "system": "Boroughs itself"},
    name="outreach",
    title="Outreach cases",
    states={"open": "Not started", "in_progress": "In progress", "closed": "Closed"},
    initial="open",
    transitions=(
        Transition("work", "Record a contact attempt or a needs assessment", ACTIVE, "in_progress", CASEWORKERS,
                   "council", ("assigned",), action=WORK, refusal="This case is closed."),
        Transition("close", "Close the case with a reason", ACTIVE, "closed", CASEWORKERS, "council",
                   ("assigned",), action=WORK, refusal="This case is closed."),
        Transition("opt_out", "Close the case when the resident objects to profiling", ACTIVE, "closed",
                   frozenset(), "system"),
    ),
    guard_help={
        "assigned": "an officer works only the cases assigned to them; a manager any case of the council",
    },
)
