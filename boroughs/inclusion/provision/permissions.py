"""Who may do what with provision. Provision is open data (sites open to the public), so anyone may see it;
only the council that imported it may replace or remove it."""

from __future__ import annotations

from boroughs.core.models import Role
from boroughs.core.permissions import register

IMPORTERS = {Role.COUNCIL_ANALYST, Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN}

register("inclusion.provision.view", set(Role), "public", "see the digital support sites on the map")
register("inclusion.provision.import", IMPORTERS, "own", "import this council's digital support sites")
register("inclusion.provision.clear", {Role.COUNCIL_MANAGER, Role.COUNCIL_ADMIN}, "own",
         "remove this council's digital support sites")
