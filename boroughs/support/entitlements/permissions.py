"""Actions of the benefit take-up campaign (issue 18)."""

from boroughs.core.models import Role
from boroughs.core.permissions import register

R = Role

register("support.entitlements.view", {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER, R.COUNCIL_ANALYST}, "own",
         "see the council's benefit take-up summary")
register("support.entitlements.refresh", {R.COUNCIL_MANAGER, R.COUNCIL_ANALYST}, "own",
         "refresh the benefit take-up estimates and open their outreach cases")
register("support.entitlements.outcome", {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER}, "own",
         "record what happened on a benefit take-up case")
