"""Actions of the council's information governance officer (issue 17)."""

from boroughs.core.models import Role
from boroughs.core.permissions import register

register("support.ig.sar", {Role.COUNCIL_IG}, "own",
         "export everything this council holds on a resident, for a subject access request")
register("support.ig.retention", {Role.COUNCIL_IG}, "own",
         "see and apply the retention of this council's shared referral data")
