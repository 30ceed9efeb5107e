"""Expected permissions for the directory, governance and referral actions (issue 7)."""

from boroughs.core.models import Role

ALL = set(Role)
COUNCIL_CASE = {Role.COUNCIL_OFFICER, Role.COUNCIL_MANAGER}
VCS = {Role.VCS_CASEWORKER, Role.VCS_MANAGER}

EXPECTED: dict[str, set[Role]] = {
    "support.directory.view": ALL,
    "support.directory.edit": {Role.VCS_MANAGER},
    "support.directory.status": VCS,
    "support.directory.review": COUNCIL_CASE,
    "support.directory.import": {Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN},
    "support.agreement.view": COUNCIL_CASE | {Role.COUNCIL_ADMIN, Role.VCS_MANAGER},
    "support.agreement.manage": {Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN},
    "support.consent.manage": COUNCIL_CASE,
    "support.referral.create": COUNCIL_CASE,
    "support.referral.view_sent": COUNCIL_CASE,
    "support.referral.inbox": VCS,
    "support.referral.respond": VCS,
    "support.referral.report": {Role.VCS_MANAGER, Role.COUNCIL_MANAGER, Role.COUNCIL_ANALYST},
    "support.resident.sar": {Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN},
}
