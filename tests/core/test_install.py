"""The install is lean and locked (issue 15): the app's dependencies are what it imports; locks carry hashes."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==\S+")
# Declared runtime dependencies that the app uses without importing them by name, and why.
USED_WITHOUT_IMPORT = {
    "uvicorn": "boroughs serve runs it (imported inside the command)",
    "duckdb": "Splink's default linkage backend (splink.DuckDBAPI); pinned to the release whose spatial extension loads offline",
    "python-multipart": "FastAPI parses submitted forms with it",
    "psycopg": "SQLAlchemy's PostgreSQL driver (postgresql+psycopg URLs)",
    "pydantic-settings": "imported as pydantic_settings",
    "argon2-cffi": "imported as argon2",
    "scikit-learn": "imported as sklearn",
    "pyyaml": "imported as yaml",
    "govuk-frontend-jinja": "imported as govuk_frontend_jinja",
    "pyarrow": "pandas reads .parquet record files with it",
    "openpyxl": "pandas reads .xlsx files with it",
    "rfc3339-validator": "jsonschema checks date-time formats with it (360Giving, ORUK)",
    "rfc3986-validator": "jsonschema checks uri formats with it (360Giving, ORUK)",
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _imported_top_level_names() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "boroughs").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def test_runtime_dependencies_are_what_the_app_imports() -> None:
    imported = _imported_top_level_names()
    dist_of: dict[str, set[str]] = {}
    for top, dists in metadata.packages_distributions().items():
        for d in dists:
            dist_of.setdefault(_norm(d), set()).add(top)
    unused = []
    for raw in _pyproject()["project"]["dependencies"]:
        name = _norm(Requirement(raw).name)
        tops = dist_of.get(name, {name.replace("-", "_")})
        if not tops & imported and name not in USED_WITHOUT_IMPORT:
            unused.append(name)
    assert not unused, f"declared in pyproject.toml but never imported by boroughs/: {unused}"


def test_pdf_and_spark_are_extras_not_runtime_dependencies() -> None:
    runtime = {_norm(Requirement(r).name) for r in _pyproject()["project"]["dependencies"]}
    assert not runtime & {"playwright", "pyspark", "pytest", "mypy", "ruff"}
    extras = _pyproject()["project"]["optional-dependencies"]
    assert any(Requirement(r).name == "playwright" for r in extras["pdf"])
    assert any(Requirement(r).name == "pyspark" for r in extras["spark"])
    app_lock = {_norm(m.group(1)) for line in (ROOT / "requirements.lock").read_text().splitlines()
                if (m := PIN.match(line))}
    assert app_lock and not app_lock & {"playwright", "pyspark", "pytest", "mypy", "ruff"}


def test_every_locked_package_carries_hashes() -> None:
    for lock in ("requirements.lock", "requirements-test.lock"):
        text = (ROOT / lock).read_text()
        entries = re.split(r"\n(?=[A-Za-z0-9])", text)
        pins = [e for e in entries if PIN.match(e)]
        assert len(pins) > 20, lock
        unhashed = [e.split()[0] for e in pins if "--hash=sha256:" not in e]
        assert not unhashed, f"{lock}: no hash for {unhashed}"


def test_every_runtime_dependency_is_in_the_app_lock() -> None:
    locked = {_norm(m.group(1)) for line in (ROOT / "requirements.lock").read_text().splitlines()
              if (m := PIN.match(line))}
    missing = [n for r in _pyproject()["project"]["dependencies"] if (n := _norm(Requirement(r).name)) not in locked]
    assert not missing, f"run `make lock`: {missing} missing from requirements.lock"


def test_make_demo_installs_the_app_lock_only() -> None:
    makefile = (ROOT / "Makefile").read_text()
    install = makefile.split("\ninstall:", 1)[1].split("\n\n", 1)[0]
    assert "requirements.lock" in install and "requirements-test.lock" not in install
    assert re.search(r"^demo: install\b", makefile, re.M)
    assert re.search(r"^test: install-test\b", makefile, re.M)
