"""Expected permissions for the concern forms and the queue (issue 17)."""

from boroughs.core.models import Role

R = Role

EXPECTED: dict[str, set[Role]] = {
    "support.concern.raise": {R.VCS_CASEWORKER, R.VCS_MANAGER},
    "support.concern.review": {R.COUNCIL_OFFICER, R.COUNCIL_MANAGER},
    "support.ig.sar": {R.COUNCIL_IG},
    "support.ig.retention": {R.COUNCIL_IG},
}
