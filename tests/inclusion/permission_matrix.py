"""Expected permissions for the inclusion area's actions: action → roles allowed on an object their
organisation owns. Written out by hand so that a change to who may do what shows up here."""

from boroughs.core.models import Role

R = Role

EXPECTED: dict[str, set[Role]] = {
    "inclusion.provision.view": set(Role),
    "inclusion.provision.import": {R.COUNCIL_ANALYST, R.COUNCIL_MANAGER, R.COUNCIL_ADMIN},
    "inclusion.provision.clear": {R.COUNCIL_MANAGER, R.COUNCIL_ADMIN},
}
