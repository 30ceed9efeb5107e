"""Expected permissions for the early-warning, fairness, evaluation and outreach actions (issue 6)."""

from boroughs.core.models import Role

R = Role
COUNCIL_STAFF = {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER, R.COUNCIL_ANALYST}

EXPECTED: dict[str, set[Role]] = {
    "support.rules.view": COUNCIL_STAFF,
    "support.rules.edit": COUNCIL_STAFF,
    "support.rules.approve": {R.COUNCIL_MANAGER},
    "support.flags.run": {R.COUNCIL_MANAGER, R.COUNCIL_ANALYST},
    "support.fairness.view": COUNCIL_STAFF,
    "support.evaluation.view": COUNCIL_STAFF,
    "support.optout.record": {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER},
    "support.outreach.view": {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER},
    "support.outreach.work": {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER},
    "support.outreach.assign": {R.COUNCIL_MANAGER},
}
