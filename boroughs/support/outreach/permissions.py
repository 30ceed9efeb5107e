"""Actions of the early-warning rules, fairness monitor, evaluation and outreach (issue 6)."""

from boroughs.core.models import Role
from boroughs.core.permissions import register

R = Role
COUNCIL_STAFF = {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER, R.COUNCIL_ANALYST}

register("support.rules.view", COUNCIL_STAFF, "own", "see this council's early-warning rules")
register("support.rules.edit", COUNCIL_STAFF, "own", "draft and change this council's early-warning rules")
register("support.rules.approve", {R.COUNCIL_MANAGER}, "own", "approve or send back early-warning rules")
register("support.flags.run", {R.COUNCIL_MANAGER, R.COUNCIL_ANALYST}, "own",
         "run this council's approved early-warning rules")
register("support.fairness.view", COUNCIL_STAFF, "own", "see the fairness monitor")
register("support.evaluation.view", COUNCIL_STAFF, "own", "see the evaluation of early-warning rules")
register("support.optout.record", {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER}, "own",
         "record residents' objections to profiling")
register("support.outreach.view", {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER}, "own",
         "see this council's outreach worklist and cases")
register("support.outreach.work", {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER}, "own",
         "record contacts, needs, notes and outcomes on outreach cases")
register("support.outreach.assign", {R.COUNCIL_MANAGER}, "own", "assign outreach cases to officers")
