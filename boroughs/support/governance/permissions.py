"""Who may see and manage data sharing agreements and consent, and the information governance officer's
actions: subject access and retention (issue 17)."""

from boroughs.core.models import Role
from boroughs.core.permissions import register

COUNCIL_CASE = {Role.COUNCIL_OFFICER, Role.COUNCIL_MANAGER}

register("support.ig.sar", {Role.COUNCIL_IG}, "own",
         "export everything this council holds on a resident, for a subject access request")
register("support.ig.retention", {Role.COUNCIL_IG}, "own",
         "see and apply the retention of this council's shared referral data")
register("support.agreement.view", COUNCIL_CASE | {Role.COUNCIL_ADMIN, Role.VCS_MANAGER}, "own",
         "see this organisation's data sharing agreements")
register("support.agreement.manage", {Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN}, "own",
         "create and change this council's data sharing agreements")
register("support.consent.manage", COUNCIL_CASE, "own", "record and withdraw residents' consent")
register("support.resident.sar", {Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN}, "own",
         "export everything held on a resident (subject access request)")
