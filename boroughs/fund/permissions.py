"""The fund's permission actions (besides the workflow transitions, which ``workflows`` registers).

``own`` actions are checked against the organisation that owns the object: a proposal's partner
organisations (``proposal.*``, ``project.*``), the fund body running a call (``call.*``, panel and
decision actions), or the borough recording an adoption.
"""

from __future__ import annotations

from boroughs.core.models import Role
from boroughs.core.permissions import register
from boroughs.fund import workflows as _workflows  # registers the workflow transitions

COUNCIL = {Role.COUNCIL_OFFICER, Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN}
COUNCIL_SENIOR = {Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN}
VCS = {Role.VCS_MANAGER}
FUND = {Role.FUND_MANAGER}
PANEL = {Role.PANEL_MEMBER}

register("fund.public.view", set(Role), "public", "see the fund's public pages")
register("fund.call.manage", FUND, "own", "set up and change this call")
register("fund.proposal.create", COUNCIL, "own", "start a proposal for your council")
register("fund.proposal.view", COUNCIL | VCS | {Role.VCS_CASEWORKER}, "own", "read this proposal")
register("fund.proposal.edit", COUNCIL | VCS, "own", "edit this proposal")
register("fund.proposal.partners", COUNCIL, "own", "change this proposal's partners")
register("fund.proposal.signoff", COUNCIL_SENIOR | VCS, "own", "sign off this proposal for your organisation")
register("fund.proposals.manage", FUND, "own", "see every proposal to this call")
register("fund.panel.assign", FUND, "own", "assign panel members")
register("fund.panel.score", PANEL, "own", "score proposals")
register("fund.panel.declare", PANEL, "own", "declare a conflict of interest")
register("fund.moderate", FUND, "own", "moderate scores")
register("fund.decide", FUND, "own", "make award decisions")
register("fund.project.update", COUNCIL | VCS, "own", "update this funded project")
register("fund.project.manage", FUND, "own", "manage funded projects")
register("fund.project.ig_signoff", FUND, "own", "sign off a project's information governance")
register("fund.adoption.record", COUNCIL, "own", "record your council's adoption of an output")
register("fund.grants.import", FUND, "own", "import other funders' 360Giving data")
register("fund.grants.export", FUND, "own", "export 360Giving data")
register("fund.publish", FUND, "own", "publish datasets")

assert _workflows
