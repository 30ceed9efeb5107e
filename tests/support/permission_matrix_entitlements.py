"""Expected permissions for the benefit take-up campaign (issue 18)."""

from boroughs.core.models import Role

R = Role

EXPECTED: dict[str, set[Role]] = {
    "support.entitlements.view": {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER, R.COUNCIL_ANALYST},
    "support.entitlements.refresh": {R.COUNCIL_MANAGER, R.COUNCIL_ANALYST},
    "support.entitlements.outcome": {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER},
}
