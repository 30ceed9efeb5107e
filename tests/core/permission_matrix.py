"""Expected permissions for the core actions: action → roles allowed on an object owned by their organisation.

For ``own`` actions, the same roles in a *foreign* organisation are refused (platform administrators excepted
where the action is marked ``platform=True``). For ``any`` actions, the roles are allowed whatever the owner.
"""

from boroughs.core.models import Role

R = Role
ORG_ADMINS = {R.COUNCIL_ADMIN, R.VCS_MANAGER, R.FUND_MANAGER}

EXPECTED: dict[str, set[Role]] = {
    "admin.view": {R.PLATFORM_ADMIN, R.COUNCIL_ADMIN, R.VCS_MANAGER, R.FUND_MANAGER},
    "org.create": {R.PLATFORM_ADMIN},
    "org.view": ORG_ADMINS | {R.PLATFORM_ADMIN},
    "member.invite": ORG_ADMINS | {R.PLATFORM_ADMIN},
    "member.change_role": ORG_ADMINS | {R.PLATFORM_ADMIN},
    "audit.view": {R.PLATFORM_ADMIN},
    "org.sso.approve": ORG_ADMINS | {R.PLATFORM_ADMIN},
    "geography.view": set(Role),
    "notify.view": ORG_ADMINS | {R.PLATFORM_ADMIN},  # issue 15: the outbox page (no message bodies)
}
