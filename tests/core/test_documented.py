"""Documentation that tests keep honest: every setting, command, option and route is documented.

- Settings: every field of ``boroughs.config.Settings`` and every ``BOROUGHS_*`` variable the code or the tests
  read is in ``docs/configuration.md``, and no page names a ``BOROUGHS_*`` variable that nothing reads.
- Commands and options: ``docs/cli-reference.md``, generated from ``boroughs.app:cli``.
- Routes: ``docs/routes.md``, generated from ``boroughs.web.app.create_app()``.

Both pages are written by ``python scripts/reference_docs.py``; a failure says what to run or write.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer.main
from sqlalchemy import create_engine

from boroughs.app import cli as app
from boroughs.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CONFIGURATION = ROOT / "docs" / "configuration.md"
REGENERATE = "run `python scripts/reference_docs.py` and commit the result"
# Variables whose names are made at run time: an organisation's client secret, BOROUGHS_SSO_SECRET_<SLUG>
# (boroughs/core/oidc.py reads whichever variable a secret reference names).
MADE_AT_RUN_TIME = ("BOROUGHS_SSO_SECRET",)
READS = re.compile(r"""(?:environ\.get|getenv|setdefault|environ\[)\(?\s*["'](BOROUGHS_[A-Z0-9_]+)["']""")


def _reference_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_docs", ROOT / "scripts" / "reference_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reference_docs() -> ModuleType:
    return _reference_docs()


# --- settings ---------------------------------------------------------------------------------------


def _setting_variables() -> set[str]:
    return {f.validation_alias if isinstance(f.validation_alias, str) else f"BOROUGHS_{name.upper()}"
            for name, f in Settings.model_fields.items()}


def _variables_read() -> dict[str, str]:
    """Each ``BOROUGHS_*`` variable read straight from the environment, with a file that reads it."""
    found: dict[str, str] = {}
    for folder in ("boroughs", "tests", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for name in READS.findall(path.read_text(encoding="utf-8")):
                found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def test_every_setting_is_documented() -> None:
    doc = CONFIGURATION.read_text(encoding="utf-8")
    missing = sorted(env for env in _setting_variables() if f"`{env}`" not in doc)
    assert not missing, (f"add these settings (boroughs/config.py) to the tables of docs/configuration.md, with "
                         f"their default and what they mean: {missing}")


def test_every_variable_read_outside_the_settings_is_documented() -> None:
    doc = CONFIGURATION.read_text(encoding="utf-8")
    missing = {name: where for name, where in _variables_read().items() if not re.search(f"`{name}[`=]", doc)}
    assert not missing, (f"these variables are read from the environment but not in docs/configuration.md; add "
                         f"them there (or make them settings in boroughs/config.py): {missing}")


def test_no_page_names_a_variable_that_nothing_reads() -> None:
    known = _setting_variables() | set(_variables_read())
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    stale: dict[str, str] = {}
    for page in pages:
        for name in set(re.findall(r"BOROUGHS_[A-Z0-9_]*[A-Z0-9]", page.read_text(encoding="utf-8"))):
            if name not in known and not name.startswith(MADE_AT_RUN_TIME):
                stale.setdefault(name, str(page.relative_to(ROOT)))
    assert not stale, f"these pages name variables that no setting or code reads; correct or remove them: {stale}"


# --- commands and options ---------------------------------------------------------------------------


def _commands(command: Any, path: str = "boroughs") -> Iterator[tuple[str, Any]]:
    """Every command and group of the command line, with its click object (a walk of our own, not the
    generator's)."""
    yield path, command
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        if not sub.hidden:
            yield from _commands(sub, f"{path} {name}")


def _sections(text: str) -> dict[str, str]:
    """The reference page's sections, by the command each one is headed with."""
    parts = re.split(r"^## (boroughs(?: [\w-]+)*)\n", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_the_cli_reference_is_up_to_date(reference_docs: ModuleType) -> None:
    page = ROOT / reference_docs.CLI_PAGE
    expected = reference_docs.cli_markdown(reference_docs.boroughs_commands())
    assert page.exists() and page.read_text(encoding="utf-8") == expected, \
        f"{reference_docs.CLI_PAGE} is out of date with the commands: {REGENERATE}"


def test_every_command_and_option_is_in_the_cli_reference() -> None:
    sections = _sections((ROOT / "docs" / "cli-reference.md").read_text(encoding="utf-8"))
    missing = []
    for path, command in _commands(typer.main.get_command(app)):
        section = sections.get(path)
        if section is None:
            missing.append(path)
            continue
        documented = {name for line in section.splitlines() if line.startswith("| `")
                      for name in line.split("`")[1].split(" / ")}
        for param in command.params:
            if param.hidden:
                continue
            spellings = [*param.opts, *param.secondary_opts] if param.param_type_name == "option" \
                else [(param.metavar or param.name).upper()]
            missing += [f"{path} {s}" for s in spellings if s not in documented]
    assert not missing, f"docs/cli-reference.md does not document {missing}: {REGENERATE}"


def test_every_command_and_option_has_help_text() -> None:
    missing = []
    for path, command in _commands(typer.main.get_command(app)):
        if not (command.help or command.short_help or "").strip():
            missing.append(f"{path} (give the command a docstring, or help= for a group)")
        missing += [f"{path} {param.name} (give it help=... in its typer.Option or typer.Argument)"
                    for param in command.params if not param.hidden and not (getattr(param, "help", None) or "").strip()]
    assert not missing, f"the command reference would say nothing about: {missing}"


# --- routes -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web_app() -> Any:
    from boroughs.app import create_app

    return create_app(create_engine("sqlite://"))  # never connects: only the routes are read


def _route_paths(routes: list[Any]) -> Iterator[str]:
    """The path of every route that answers requests (static mounts left out; a walk of our own)."""
    for r in routes:
        candidates = getattr(r, "effective_candidates", None)  # FastAPI >= 0.16x: an included router
        if candidates is not None:
            yield from _route_paths(candidates())
            continue
        original = getattr(r, "original_route", r)
        if getattr(r, "methods", None) or getattr(original, "methods", None):
            yield getattr(r, "path", "") or original.path


def test_the_routes_page_is_up_to_date(reference_docs: ModuleType, web_app: Any) -> None:
    page = ROOT / reference_docs.ROUTES_PAGE
    expected = reference_docs.routes_markdown(*reference_docs.app_routes(web_app))
    assert page.exists() and page.read_text(encoding="utf-8") == expected, \
        f"{reference_docs.ROUTES_PAGE} is out of date with the app's routes: {REGENERATE}"


def test_every_route_is_in_the_routes_page(web_app: Any) -> None:
    doc = (ROOT / "docs" / "routes.md").read_text(encoding="utf-8")
    paths = {re.sub(r"\{(\w+):\w+\}", r"{\1}", p) for p in _route_paths(web_app.router.routes)}
    assert len(paths) > 100  # every area's routes are there
    missing = sorted(p for p in paths if f"| `{p}` |" not in doc)
    assert not missing, f"docs/routes.md does not list {missing}: {REGENERATE}"


def test_every_route_says_what_it_does(reference_docs: ModuleType, web_app: Any) -> None:
    routes, _mounts = reference_docs.app_routes(web_app)
    missing = sorted({f"{d.where} ({d.method} {d.path})" for d in routes if not d.description})
    assert not missing, ("add a one-line docstring saying what each of these routes does (or summary= on its "
                         f"decorator), then {REGENERATE}: {missing}")


def test_the_generator_reports_a_stale_page(reference_docs: ModuleType, tmp_path: Path) -> None:
    """``--check`` fails on a page that differs from the code, and on a missing one."""
    (tmp_path / "docs").mkdir()
    (tmp_path / reference_docs.CLI_PAGE).write_text("# Command reference\n", encoding="utf-8")
    assert set(reference_docs.out_of_date(tmp_path)) == {reference_docs.CLI_PAGE, reference_docs.ROUTES_PAGE}
