"""The permission matrix: every registered action × every role × owning or foreign organisation.

Each area declares what it expects in ``tests/<area>/permission_matrix*.py`` (a dict ``EXPECTED``: action →
roles allowed on an object their own organisation owns). This test fails if an action is registered
without an expectation, or if ``can`` disagrees with the expectation anywhere in the matrix.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

from boroughs.core import permissions
from boroughs.core.models import Role
from tests.workflow_checks import M, U

TESTS = Path(__file__).resolve().parent.parent


def _load_area_permissions() -> None:
    for area in ("inclusion", "support", "fund"):
        pkg = Path(__file__).resolve().parents[2] / "boroughs" / area
        for mod in sorted(pkg.glob("permissions*.py")) + sorted(pkg.glob("*/permissions*.py")):
            rel = mod.relative_to(pkg.parent.parent).with_suffix("")
            importlib.import_module(".".join(rel.parts))
        if (pkg / "routes.py").exists():
            importlib.import_module(f"boroughs.{area}.routes")


def _expected() -> dict[str, set[Role]]:
    merged: dict[str, set[Role]] = {}
    for path in sorted(TESTS.glob("*/permission_matrix*.py")):
        spec = importlib.util.spec_from_file_location(f"_matrix_{path.parent.name}_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for action, roles in module.EXPECTED.items():
            assert action not in merged, f"{action} expected twice ({path})"
            merged[action] = set(roles)
    return merged


_load_area_permissions()
EXPECTED = _expected()
OWN, FOREIGN = 1, 2


def test_every_registered_action_has_an_expectation():
    missing = sorted(set(permissions.ACTIONS) - set(EXPECTED))
    assert not missing, f"add these actions to a tests/<area>/permission_matrix*.py: {missing}"
    unknown = sorted(set(EXPECTED) - set(permissions.ACTIONS))
    assert not unknown, f"expected actions that are not registered: {unknown}"


CASES = [(a, r) for a in sorted(permissions.ACTIONS) for r in Role]


@pytest.mark.parametrize(("action", "role"), CASES, ids=[f"{a}-{r.value}" for a, r in CASES])
def test_matrix(action: str, role: Role) -> None:
    rule = permissions.ACTIONS[action]
    user = U(1, [M(OWN, role.value)])
    assert action in EXPECTED, f"no expectation for {action}: add it to tests/<area>/permission_matrix*.py"
    allowed_own = role in EXPECTED[action]
    assert permissions.can(user, action, OWN) is allowed_own, f"{role.value} on own {action}"
    # a foreign organisation's object
    if rule.scope == "own":
        foreign_ok = allowed_own and role is Role.PLATFORM_ADMIN and rule.platform
        assert permissions.can(user, action, FOREIGN) is foreign_ok, f"{role.value} on foreign {action}"
    else:
        assert permissions.can(user, action, FOREIGN) is allowed_own


@pytest.mark.parametrize("action", sorted(permissions.ACTIONS))
def test_signed_out_and_inactive_users(action: str) -> None:
    public = permissions.ACTIONS[action].scope == "public"
    assert permissions.can(None, action, OWN) is public
    everything = U(2, [M(OWN, r.value) for r in Role], is_active=False)
    assert permissions.can(everything, action, OWN) is public


def test_unknown_action_is_an_error():
    with pytest.raises(KeyError, match="unknown action"):
        permissions.can(U(1), "no.such.action")


def test_require_names_what_was_refused():
    from boroughs.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="read the audit trail"):
        permissions.require(U(1, [M(OWN, Role.COUNCIL_OFFICER.value)]), "audit.view")
