"""Who may see and change the service directory, and import Open Referral UK feeds."""

from __future__ import annotations

from boroughs.core.models import Role
from boroughs.core.permissions import register

COUNCIL_CASE = {Role.COUNCIL_OFFICER, Role.COUNCIL_MANAGER}
VCS = {Role.VCS_CASEWORKER, Role.VCS_MANAGER}

register("support.directory.view", set(Role), "public", "see the service directory")
register("support.directory.edit", {Role.VCS_MANAGER}, "own", "change this organisation's service listings")
register("support.directory.status", VCS, "own", "update this organisation's referral status")
register("support.directory.review", COUNCIL_CASE, "any", "review changes to service listings")
register("support.directory.import", {Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN}, "any",
         "import Open Referral UK feeds")
