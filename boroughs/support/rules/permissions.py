"""Actions of the early-warning rules: seeing, drafting and approving them, running them, objections to
profiling and the fairness monitor (issue 6)."""

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
register("support.optout.record", {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER}, "own",
         "record residents' objections to profiling")
