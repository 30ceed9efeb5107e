"""The referral lifecycle, declared once (see ``boroughs.core.workflow``).

The VCS side's steps are checked against the existing ``support.referral.respond`` action (one permission
for accepting, declining, contacting and closing); withdrawal (the resident withdrew consent) and return
(nobody accepted in time) are taken by Boroughs itself. ``boroughs support workflow-docs`` draws it in
``docs/support/workflows.md``. The guards are implemented in ``boroughs.support.referrals.service``
(``REFERRAL_GUARDS``).
"""

from __future__ import annotations

from boroughs.core.models import Role
from boroughs.core.workflow import Transition, Workflow

VCS = frozenset({Role.VCS_CASEWORKER, Role.VCS_MANAGER})
RESPOND = "support.referral.respond"
OPEN_STATES = ("sent", "accepted", "in_contact")

REFERRAL = Workflow(
    area="support",
    owners={
        "receiver": "the organisation the referral was sent to",
        "system": "Boroughs itself",
    },
    name="referral",
    title="Referrals",
    states={
        "sent": "Waiting for a response",
        "accepted": "Accepted",
        "in_contact": "In contact",
        "declined": "Declined",
        "closed": "Outcome recorded",
        "returned": "Returned to officer",
        "withdrawn": "Withdrawn",
    },
    initial="sent",
    transitions=(
        Transition("accept", "Accept the referral", ("sent",), "accepted", VCS, "receiver", ("still_shared",),
                   action=RESPOND, refusal="This referral is {state}: it cannot be accepted now."),
        Transition("decline", "Decline the referral, with a reason", ("sent",), "declined", VCS, "receiver",
                   action=RESPOND, refusal="This referral is {state}: it cannot be declined now."),
        Transition("contact", "Record contact with the resident", ("accepted", "in_contact"), "in_contact", VCS,
                   "receiver", action=RESPOND, refusal="This referral is {state}: it cannot be contacted now."),
        Transition("outcome", "Record the outcome", ("accepted", "in_contact"), "closed", VCS, "receiver",
                   action=RESPOND,
                   refusal="This referral is {state}: it cannot have an outcome recorded now."),
        Transition("withdraw", "Withdraw the referral when the resident withdraws consent", OPEN_STATES,
                   "withdrawn", frozenset(), "system"),
        Transition("return", "Return the referral to the officer when nobody accepts it within twice the "
                   "promised response time", ("sent",), "returned", frozenset(), "system"),
    ),
    guard_help={
        "still_shared": "the council may still share the resident's details (the consent and the data "
                        "sharing agreement are still in force)",
    },
)
