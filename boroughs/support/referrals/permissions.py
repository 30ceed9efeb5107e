"""Who may make, see, answer and report on referrals."""

from __future__ import annotations

from boroughs.core.models import Role
from boroughs.core.permissions import register

COUNCIL_CASE = {Role.COUNCIL_OFFICER, Role.COUNCIL_MANAGER}
VCS = {Role.VCS_CASEWORKER, Role.VCS_MANAGER}

register("support.referral.create", COUNCIL_CASE, "own", "refer this council's residents to services")
register("support.referral.view_sent", COUNCIL_CASE, "own", "see this council's referrals and their progress")
register("support.referral.inbox", VCS, "own", "see referrals made to this organisation")
register("support.referral.respond", VCS, "own", "accept, decline and record outcomes of referrals")
register("support.referral.report", {Role.VCS_MANAGER, Role.COUNCIL_MANAGER, Role.COUNCIL_ANALYST}, "own",
         "see partnership reports")
