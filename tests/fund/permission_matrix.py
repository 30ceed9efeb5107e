"""Expected permissions for the fund's actions: action → roles allowed on an object their organisation owns.

Written out by hand (not derived from the code) so that a change to who may do what shows up here.
"""

from boroughs.core.models import Role

R = Role
COUNCIL = {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER, R.COUNCIL_ADMIN}
SENIOR = {R.COUNCIL_MANAGER, R.COUNCIL_ADMIN}
FUND = {R.FUND_MANAGER}

EXPECTED: dict[str, set[Role]] = {
    "fund.public.view": set(Role),
    "fund.call.manage": FUND,
    "fund.proposal.create": COUNCIL,
    "fund.proposal.view": COUNCIL | {R.VCS_MANAGER, R.VCS_CASEWORKER},
    "fund.proposal.edit": COUNCIL | {R.VCS_MANAGER},
    "fund.proposal.partners": COUNCIL,
    "fund.proposal.signoff": SENIOR | {R.VCS_MANAGER},
    "fund.proposals.manage": FUND,
    "fund.panel.assign": FUND,
    "fund.panel.score": {R.PANEL_MEMBER},
    "fund.panel.declare": {R.PANEL_MEMBER},
    "fund.moderate": FUND,
    "fund.decide": FUND,
    "fund.project.update": COUNCIL | {R.VCS_MANAGER},
    "fund.project.manage": FUND,
    "fund.project.ig_signoff": FUND,
    "fund.adoption.record": COUNCIL,
    "fund.grants.import": FUND,
    "fund.grants.export": FUND,
    "fund.publish": FUND,
    # workflow transitions (boroughs/fund/workflows.py)
    "fund.call.open": FUND,
    "fund.call.close_submissions": FUND,
    "fund.call.start_decisions": FUND,
    "fund.call.start_delivery": FUND,
    "fund.call.close": FUND,
    "fund.proposal.submit": SENIOR,
    "fund.proposal.withdraw": SENIOR,
    "fund.proposal.return_to_draft": FUND,
    "fund.proposal.mark_ineligible": FUND,
    "fund.proposal.start_assessment": FUND,
    "fund.proposal.award": FUND,
    "fund.proposal.decline": FUND,
    "fund.project.pass_discover": FUND,
    "fund.project.pass_define": FUND,
    "fund.project.pass_develop": FUND,
    "fund.project.pass_deliver": FUND,
}
