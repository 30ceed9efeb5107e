"""Who may do what in the directory, information governance and referrals."""

from __future__ import annotations

from boroughs.core.models import Role
from boroughs.core.permissions import register

COUNCIL_CASE = {Role.COUNCIL_OFFICER, Role.COUNCIL_MANAGER}
VCS = {Role.VCS_CASEWORKER, Role.VCS_MANAGER}

register("support.directory.view", set(Role), "public", "see the service directory")
register("support.directory.edit", {Role.VCS_MANAGER}, "own", "change this organisation's service listings")
register("support.directory.status", VCS, "own", "update this organisation's referral status")
register("support.directory.review", COUNCIL_CASE, "any", "review changes to service listings")
register("support.directory.import", {Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN}, "any",
         "import Open Referral UK feeds")
register("support.agreement.view", COUNCIL_CASE | {Role.COUNCIL_ADMIN, Role.VCS_MANAGER}, "own",
         "see this organisation's data sharing agreements")
register("support.agreement.manage", {Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN}, "own",
         "create and change this council's data sharing agreements")
register("support.consent.manage", COUNCIL_CASE, "own", "record and withdraw residents' consent")
register("support.referral.create", COUNCIL_CASE, "own", "refer this council's residents to services")
register("support.referral.view_sent", COUNCIL_CASE, "own", "see this council's referrals and their progress")
register("support.referral.inbox", VCS, "own", "see referrals made to this organisation")
register("support.referral.respond", VCS, "own", "accept, decline and record outcomes of referrals")
register("support.referral.report", {Role.VCS_MANAGER, Role.COUNCIL_MANAGER, Role.COUNCIL_ANALYST}, "own",
         "see partnership reports")
register("support.resident.sar", {Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN}, "own",
         "export everything held on a resident (subject access request)")
