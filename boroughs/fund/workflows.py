"""The fund's three workflows, declared once: calls, proposals and funded projects.

Edit here, then run ``boroughs fund workflow-docs`` to regenerate ``docs/fund/workflows.md`` (a test
fails if the diagram is out of date). The guards named here are implemented in the service modules
(``calls.CALL_GUARDS``, ``submission.PROPOSAL_GUARDS``, ``projects.PROJECT_GUARDS``); a test checks that
every named guard has an implementation.
"""

from __future__ import annotations

from boroughs.core.models import Role
from boroughs.core.workflow import Transition, Workflow

COUNCIL_EDITORS = frozenset({Role.COUNCIL_OFFICER, Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN})
FUND_MANAGERS = frozenset({Role.FUND_MANAGER})

# Who may act on a fund object: the proposal's lead council, anyone in its partnership, or the fund body.
OWNERS = {
    "lead": "the lead council",
    "partnership": "an organisation in the partnership",
    "fund_body": "the fund body",
}


CALL = Workflow(
    area="fund",
    owners=OWNERS,
    name="call",
    title="Call phases",
    states={
        "drafting": "Being drafted",
        "open": "Open for proposals",
        "assessment": "Being assessed",
        "decision": "Awaiting decisions",
        "delivery": "Projects in delivery",
        "closed": "Closed",
    },
    initial="drafting",
    transitions=(
        Transition("open", "Open the call", ("drafting",), "open", FUND_MANAGERS, "fund_body",
                   ("call_ready",)),
        Transition("close_submissions", "Close submissions and start assessment", ("open",), "assessment",
                   FUND_MANAGERS, "fund_body"),
        Transition("start_decisions", "Move to decisions", ("assessment",), "decision", FUND_MANAGERS,
                   "fund_body"),
        Transition("start_delivery", "Move to delivery", ("decision",), "delivery", FUND_MANAGERS,
                   "fund_body", ("has_award",)),
        Transition("close", "Close the call", ("delivery",), "closed", FUND_MANAGERS, "fund_body"),
    ),
    guard_help={
        "call_ready": "the call has a deadline, at least one strand, rubric criteria, and strand budgets "
                      "that add up to no more than the total budget",
        "has_award": "at least one award has been made",
    },
)


PROPOSAL = Workflow(
    area="fund",
    owners=OWNERS,
    name="proposal",
    title="Proposals",
    states={
        "draft": "Draft",
        "submitted": "Submitted",
        "in_assessment": "Being assessed",
        "awarded": "Awarded",
        "not_funded": "Not funded",
        "ineligible": "Ineligible",
        "withdrawn": "Withdrawn",
    },
    initial="draft",
    transitions=(
        Transition("submit", "Submit the proposal", ("draft",), "submitted",
                   frozenset({Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN}), "lead",
                   ("call_open", "form_complete", "eligible", "all_signed_off")),
        Transition("withdraw", "Withdraw the proposal", ("draft", "submitted"), "withdrawn",
                   frozenset({Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN}), "lead"),
        Transition("return_to_draft", "Return the proposal to the partnership for changes", ("submitted",),
                   "draft", FUND_MANAGERS, "fund_body", ("call_open",)),
        Transition("mark_ineligible", "Mark the proposal ineligible", ("submitted",), "ineligible",
                   FUND_MANAGERS, "fund_body"),
        Transition("start_assessment", "Send the proposal to the panel", ("submitted",), "in_assessment",
                   FUND_MANAGERS, "fund_body", ("call_assessing",)),
        Transition("award", "Award a grant", ("in_assessment",), "awarded", FUND_MANAGERS, "fund_body",
                   ("call_deciding",)),
        Transition("decline", "Decline the proposal", ("in_assessment",), "not_funded", FUND_MANAGERS,
                   "fund_body", ("call_deciding",)),
    ),
    guard_help={
        "call_open": "the call is open and its deadline has not passed",
        "form_complete": "every required part of the form is filled in",
        "eligible": "the partnership meets the call's eligibility rules",
        "all_signed_off": "every partner has signed off the current version",
        "call_assessing": "the call's submissions have closed",
        "call_deciding": "the call is in assessment or decisions",
    },
)


PROJECT = Workflow(
    area="fund",
    owners=OWNERS,
    name="project",
    title="Funded projects (Double Diamond stage gates)",
    states={
        "discover": "Discover",
        "define": "Define",
        "develop": "Develop",
        "deliver": "Deliver",
        "completed": "Completed",
    },
    initial="discover",
    transitions=(
        Transition("pass_discover", "Pass the discover gate", ("discover",), "define", FUND_MANAGERS,
                   "fund_body", ("evidence",)),
        Transition("pass_define", "Pass the define gate", ("define",), "develop", FUND_MANAGERS,
                   "fund_body", ("evidence",)),
        Transition("pass_develop", "Pass the develop gate", ("develop",), "deliver", FUND_MANAGERS,
                   "fund_body", ("evidence", "ig_signed_off")),
        Transition("pass_deliver", "Pass the deliver gate", ("deliver",), "completed", FUND_MANAGERS,
                   "fund_body", ("evidence",)),
    ),
    guard_help={
        "evidence": "the project has filed evidence for the stage",
        "ig_signed_off": "for a data project, the information-governance gate has been signed off",
    },
)

WORKFLOWS: tuple[Workflow, ...] = (CALL, PROPOSAL, PROJECT)

for _wf in WORKFLOWS:
    _wf.register_actions()
