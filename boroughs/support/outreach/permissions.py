"""Actions of outreach: the worklist, cases and the evaluation of what outreach achieved (issue 6)."""

from boroughs.core.models import Role
from boroughs.core.permissions import register

R = Role
COUNCIL_STAFF = {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER, R.COUNCIL_ANALYST}

register("support.evaluation.view", COUNCIL_STAFF, "own", "see the evaluation of early-warning rules")
register("support.outreach.view", {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER}, "own",
         "see this council's outreach worklist and cases")
register("support.outreach.work", {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER}, "own",
         "record contacts, needs, notes and outcomes on outreach cases")
register("support.outreach.assign", {R.COUNCIL_MANAGER}, "own", "assign outreach cases to officers")
