"""Who may take the linkage actions in the owning council (issue 5)."""

from boroughs.core.models import Role

EXPECTED = {
    "support.resident.view": {Role.COUNCIL_OFFICER, Role.COUNCIL_MANAGER},
    "support.linkage.review": {Role.COUNCIL_ANALYST, Role.COUNCIL_MANAGER},
    "support.linkage.settings": {Role.COUNCIL_ANALYST, Role.COUNCIL_MANAGER},
}
