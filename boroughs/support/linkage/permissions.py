"""Actions of the linkage part of the support area (resident view, clerical review)."""

from boroughs.core.models import Role
from boroughs.core.permissions import register

register("support.resident.view", {Role.COUNCIL_OFFICER, Role.COUNCIL_MANAGER}, "own",
         "see one of this council's residents with their linked records (each view audited with its purpose)")
register("support.linkage.review", {Role.COUNCIL_ANALYST, Role.COUNCIL_MANAGER}, "own",
         "review uncertain record pairs, accept or reject them, and split residents")
register("support.linkage.settings", {Role.COUNCIL_ANALYST, Role.COUNCIL_MANAGER}, "own",
         "choose the council's linkage threshold and review band, seeing the expected errors of each choice")
