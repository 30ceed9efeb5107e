"""Rule-set approval, declared once (see ``boroughs.core.workflow``).

Council staff draft, change and submit a version (``support.rules.edit``); a council manager who did not
write it approves it or sends it back (``support.rules.approve``). Approving a version replaces the live
one, which Boroughs marks *replaced* itself. ``boroughs support workflow-docs`` draws it in
``docs/support/workflows.md``. The guards are implemented in ``boroughs.support.rules.service``
(``RULE_SET_GUARDS``); a version must also be valid and flag no more than the council's ``max_share`` before
it is submitted or approved (the service checks that after the workflow, listing every problem).
"""

from __future__ import annotations

from boroughs.core.models import Role
from boroughs.core.workflow import Transition, Workflow

COUNCIL_STAFF = frozenset({Role.COUNCIL_OFFICER, Role.COUNCIL_MANAGER, Role.COUNCIL_ANALYST})
MANAGERS = frozenset({Role.COUNCIL_MANAGER})

RULE_SET = Workflow(
    area="support",
    owners={"council": "the council", "system": "Boroughs itself"},
    name="rules",
    title="Early-warning rule sets",
    states={
        "draft": "Draft",
        "submitted": "Waiting for approval",
        "approved": "Live",
        "rejected": "Sent back",
        "superseded": "Replaced",
    },
    initial="draft",
    transitions=(
        Transition("edit", "Change the version", ("draft", "rejected"), "draft", COUNCIL_STAFF, "council",
                   action="support.rules.edit",
                   refusal="Only a draft or a version sent back can be changed. Start a new draft instead."),
        Transition("submit", "Send the version for approval", ("draft",), "submitted", COUNCIL_STAFF, "council",
                   action="support.rules.edit", refusal="Only a draft can be sent for approval."),
        Transition("approve", "Approve the version", ("submitted",), "approved", MANAGERS, "council",
                   ("not_author",), action="support.rules.approve",
                   refusal="Only a version waiting for approval can be approved."),
        Transition("reject", "Send the version back", ("submitted",), "rejected", MANAGERS, "council",
                   action="support.rules.approve",
                   refusal="Only a version waiting for approval can be sent back."),
        Transition("supersede", "Replace the live version when another is approved", ("approved",),
                   "superseded", frozenset(), "system"),
    ),
    guard_help={
        "not_author": "the approving manager did not write the version",
    },
)
