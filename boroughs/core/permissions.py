"""Who may do what: every permission check on the server goes through ``can`` / ``require``.

Actions are data. Each area registers its actions with the roles that may take them and a *scope*:

- ``own``: the user needs one of the roles in the organisation that owns the object
  (a council officer sees only their council's residents; a VCS caseworker only their organisation's
  referrals);
- ``any``: one of the roles in any organisation (e.g. a panel member reading a call);
- ``public``: anyone, signed in or not.

The permission matrix test (``tests/core/test_permissions.py``) walks every registered action against
every role and both an owning and a foreign organisation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from boroughs.core.errors import PermissionDenied
from boroughs.core.models import Role, User

Scope = Literal["own", "any", "public"]


@dataclass(frozen=True)
class Action:
    name: str
    roles: frozenset[Role]
    scope: Scope
    description: str
    platform: bool = False  # platform administrators may take it for any organisation


ACTIONS: dict[str, Action] = {}


def register(
    name: str, roles: Iterable[Role], scope: Scope = "own", description: str = "", *, platform: bool = False
) -> Action:
    """Declare an action. ``platform=True`` lets platform administrators take it in any organisation
    (organisation management only: never give it to an action that reads personal data)."""
    action = Action(name, frozenset(roles), scope, description, platform)
    if name in ACTIONS and ACTIONS[name] != action:
        raise ValueError(f"action {name!r} registered twice with different rules")
    ACTIONS[name] = action
    return action


def roles_in(user: User | None, organisation_id: int | None = None) -> set[Role]:
    if user is None or not user.is_active:
        return set()
    return {
        Role(m.role)
        for m in user.memberships
        if organisation_id is None or m.organisation_id == organisation_id
    }


def can(user: User | None, action: str, owner_org_id: int | None = None) -> bool:
    """True when ``user`` may take ``action`` on an object owned by ``owner_org_id``."""
    try:
        rule = ACTIONS[action]
    except KeyError:
        raise KeyError(f"unknown action {action!r}: register it in the area's permissions module") from None
    if rule.scope == "public":
        return True
    if rule.platform and Role.PLATFORM_ADMIN in roles_in(user):
        return True
    if rule.scope == "any":
        return bool(roles_in(user) & rule.roles)
    if owner_org_id is None:
        # an 'own' action with no owning organisation (e.g. create): any membership with the role
        return bool(roles_in(user) & rule.roles)
    return bool(roles_in(user, owner_org_id) & rule.roles)


def require(user: User | None, action: str, owner_org_id: int | None = None) -> None:
    if not can(user, action, owner_org_id):
        raise PermissionDenied(f"You do not have permission to {ACTIONS[action].description or action}.")


def orgs_where(user: User | None, action: str) -> set[int]:
    """The organisations in which ``user`` may take an ``own``-scoped action (for filtering lists)."""
    rule = ACTIONS[action]
    if user is None or not user.is_active:
        return set()
    return {m.organisation_id for m in user.memberships if Role(m.role) in rule.roles}


def is_platform_admin(user: User | None) -> bool:
    return Role.PLATFORM_ADMIN in roles_in(user)


# Core actions
ADMIN = {Role.PLATFORM_ADMIN}
register("admin.view", ADMIN | {Role.COUNCIL_ADMIN, Role.VCS_MANAGER, Role.FUND_MANAGER}, "any", "open the admin area")
register("org.create", ADMIN, "any", "create organisations")
ORG_ADMINS = {Role.COUNCIL_ADMIN, Role.VCS_MANAGER, Role.FUND_MANAGER}
register("org.view", ORG_ADMINS, "own", "see this organisation's members", platform=True)
register("member.invite", ORG_ADMINS, "own", "invite people to this organisation", platform=True)
register("member.change_role", ORG_ADMINS, "own", "change roles in this organisation", platform=True)
register("audit.view", ADMIN, "any", "read the audit trail")
register("org.sso.approve", ORG_ADMINS, "own", "approve first sign-ins through single sign-on", platform=True)
register("geography.view", set(Role), "public", "see geography")
register("notify.view", ORG_ADMINS, "own", "see the messages sent to this organisation's people", platform=True)
