"""The architecture's rules (issue 16), checked on the code itself: the import contracts in ``.importlinter``
hold (and the checker does catch a broken one), no module outside the migrations is longer than 600 lines,
the core names no area, and support is a set of sub-packages rather than a flat list of modules."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from boroughs.app import AREAS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "boroughs"
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"]


def _lint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LINT, "--no-cache", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_are_kept() -> None:
    r = _lint()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


def test_a_broken_contract_is_reported(tmp_path: Path) -> None:
    config = tmp_path / "contracts.ini"
    config.write_text("[importlinter]\nroot_package = boroughs\ninclude_external_packages = True\n\n"
                      "[importlinter:contract:core-without-sqlalchemy]\nname = core without SQLAlchemy\n"
                      "type = forbidden\nsource_modules =\n    boroughs.core\nforbidden_modules =\n    sqlalchemy\n")
    r = _lint("--config", str(config))
    assert r.returncode == 1 and "core without SQLAlchemy BROKEN" in r.stdout


def _modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.relative_to(PACKAGE).parts]


def test_no_module_is_longer_than_600_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in _modules() if (n := len(p.read_text().splitlines())) > 600}
    assert long == {}, f"split these modules along their seams: {long}"


def test_core_names_no_area() -> None:
    names = "|".join(a.name for a in AREAS)
    pattern = re.compile(rf"boroughs[./]({names})\b|[\"']({names})[\"']")
    found = [f"{p.relative_to(ROOT)}:{i}" for p in (PACKAGE / "core").rglob("*.py")
             for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert found == []


@pytest.mark.parametrize("area", [a.name for a in AREAS])
def test_each_area_declares_itself(area: str) -> None:
    init = (PACKAGE / area / "__init__.py").read_text()
    assert "AREA = Area(" in init and f'name="{area}"' in init


def test_support_is_sub_packages_not_a_flat_list() -> None:
    support = PACKAGE / "support"
    modules = sorted(p.stem for p in support.glob("*.py") if p.stem != "__init__")
    assert modules == ["cli", "routes", "workflows"], "put new support code in the sub-package it belongs to"
    packages = {p.name for p in support.iterdir() if (p / "__init__.py").exists()}
    assert {"records", "linkage", "rules", "outreach", "directory", "referrals", "governance"} <= packages
