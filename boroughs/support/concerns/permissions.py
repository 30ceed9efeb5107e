"""Actions of the concern forms and the council's concern queue (issue 17)."""

from boroughs.core.models import Role
from boroughs.core.permissions import register

register("support.concern.raise", {Role.VCS_CASEWORKER, Role.VCS_MANAGER}, "any",
         "raise a concern about a resident with a council (VCS partners, signed in)")
register("support.concern.review", {Role.COUNCIL_OFFICER, Role.COUNCIL_MANAGER}, "own",
         "see and work this council's queue of concerns raised by partners and residents")
