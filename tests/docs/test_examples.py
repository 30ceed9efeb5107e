"""The examples in docs/developing.md are real code: each is a file under docs/examples that these tests
import and run (FastAPI's docs habit), and the page quotes each file exactly.

The examples are imported the way a council's own package would be: ``docs/examples`` is put on
``sys.path``, so ``housing`` (an area), ``new_area`` (a composition root with it), ``rule_signal`` and
``publishing_backend`` are top-level modules. Whatever an example registers globally is undone after its
test, so the rest of the suite sees only the built-in areas, signals and templates.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from boroughs.app import AREAS
from boroughs.core.db import session_scope
from boroughs.core.models import Organisation, OrgKind
from boroughs.fund.demo import seed_demo
from boroughs.fund.opendata import giving360
from boroughs.fund.opendata.publishing import DatasetPackage
from boroughs.support.rules import engine, language, vocabulary
from boroughs.web import templating
from tests.support.outreach_factories import AS_OF, frames

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
PAGE = ROOT / "docs" / "developing.md"
# In the page, a quoted file is a fenced block right after a line `<!-- docs/examples/<path> -->`.
QUOTED = re.compile(r"^<!-- (docs/examples/\S+) -->\n```[\w+-]*\n(.*?)^```$", re.M | re.S)
EXAMPLE_MODULES = ("housing", "new_area", "rule_signal", "publishing_backend")


@pytest.fixture
def examples(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``docs/examples`` importable; afterwards the examples' modules are forgotten."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    yield
    for name in list(sys.modules):
        if name.split(".")[0] in EXAMPLE_MODULES:
            del sys.modules[name]


# --- the page quotes the files ------------------------------------------------------------------------


def test_the_page_quotes_every_example_file_exactly() -> None:
    found = QUOTED.findall(PAGE.read_text(encoding="utf-8"))
    quoted = dict(found)
    assert len(quoted) == len(found), "docs/developing.md quotes a file twice"
    files = {str(p.relative_to(ROOT)): p for p in sorted(EXAMPLES.rglob("*"))
             if p.is_file() and p.suffix in (".py", ".html") and "__pycache__" not in p.parts}
    assert set(quoted) == set(files), ("docs/developing.md should quote each file in docs/examples once, in a "
                                       "fenced block after <!-- docs/examples/<path> -->")
    for path, file in files.items():
        assert quoted[path] == file.read_text(encoding="utf-8"), f"the code quoted for {path} differs from the file"


def test_the_area_record_points_at_the_example() -> None:
    from boroughs.core import area

    assert "docs/examples/new_area.py" in (area.__doc__ or "")
    assert (EXAMPLES / "new_area.py").is_file()
    assert "docs/examples/rule_signal.py" in (vocabulary.ResidentSignal.__doc__ or "")


# --- how to add an area ---------------------------------------------------------------------------------


def test_an_added_area_serves_its_pages_and_commands(examples: None, engine: Engine) -> None:
    new_area: ModuleType = importlib.import_module("new_area")
    housing = importlib.import_module("housing")
    assert new_area.MY_AREAS[-1] is housing.AREA and new_area.MY_AREAS[:-1] == AREAS
    with session_scope(engine) as s:
        for slug in ("newham", "hackney"):
            s.add(Organisation(slug=slug, name=slug.title(), kind=OrgKind.COUNCIL.value))
    try:
        with TestClient(new_area.web_app(engine)) as client:
            page = client.get("/housing")
            assert page.status_code == 200
            assert "Housing repairs" in page.text and "2 councils use this deployment" in page.text
            assert 'href="/housing"' in page.text  # the area's entry in the service navigation
            assert client.get("/api/v1/housing/priority", params={"days_open": 40}).json() == {
                "days_open": 40, "priority": "overdue"}
            assert client.get("/api/v1/housing/priority", params={"days_open": -1}).status_code == 422
            assert "/api/v1/housing/priority" in client.get("/api/openapi.json").json()["paths"]
            assert client.get("/support").status_code in (200, 303)  # the built-in areas are still there
    finally:
        templating.use_areas(AREAS)  # the template folders of the built-in areas only, as before

    runner = CliRunner()
    result = runner.invoke(new_area.cli, ["housing", "priority", "100"])
    assert result.exit_code == 0, result.output
    assert result.output == "escalate\n"
    assert "priority" in runner.invoke(new_area.cli, ["housing", "--help"]).output
    assert runner.invoke(new_area.cli, ["fund", "--help"]).exit_code == 0


# --- how to add a rule type -----------------------------------------------------------------------------


@pytest.fixture
def signal(examples: None) -> Iterator[ModuleType]:
    module = importlib.import_module("rule_signal")
    try:
        yield module
    finally:  # other tests see only the built-in signals
        for table in (vocabulary.SIGNALS, vocabulary.RESIDENT_FIELDS, vocabulary.RESIDENT_RANGES):
            table.pop(module.FIELD, None)


RULE = """
council: E09000025
title: Residents many services know
language: "1.0"
rules:
  - id: known-to-many
    title: Known to several services
    severity: low
    all:
      - resident: {field: services_known_to, at_least: 2}
"""


def test_a_registered_signal_is_a_rule_condition(signal: ModuleType) -> None:
    rule_set = language.parse_rules(RULE, council="E09000025")
    assert rule_set.rules[0].describe() == "Known to at least 2 council services."
    f = frames(
        {1: {}, 2: {}, 3: {}},
        records={
            "council_tax": [{"resident_id": 1, "record_id": "CT1"}, {"resident_id": 2, "record_id": "CT2"}],
            "rent": [{"resident_id": 1, "record_id": "R1"}, {"resident_id": 1, "record_id": "R2"}],
            "fsm": [{"resident_id": 1, "record_id": "F1"}, {"resident_id": 2, "record_id": "F2"}],
            "hb_ctr": [{"resident_id": 3, "record_id": "H1"}],
        },
    )
    assert signal.known_to(f.records, f.residents, AS_OF).to_dict() == {1: 3.0, 2: 2.0, 3: 1.0}
    evaluation = engine.evaluate(rule_set, f, as_of=AS_OF)
    flagged = dict(zip(evaluation.flags["resident_id"], evaluation.flags["explanation"], strict=True))
    assert flagged == {1: "Known to several services: Known to 3 council services.",
                       2: "Known to several services: Known to 2 council services."}
    assert evaluation.flags.iloc[0]["facts"] == [{"kind": "resident", "field": "services_known_to", "value": 3.0}]


def test_a_signal_keeps_its_limits(signal: ModuleType) -> None:
    with pytest.raises(language.RuleError, match="could never be true"):
        language.parse_rules(RULE.replace("at_least: 2", "at_least: 99"), council="E09000025")


def test_the_signal_is_gone_after_its_test() -> None:
    assert "services_known_to" not in vocabulary.SIGNALS and "services_known_to" not in vocabulary.RESIDENT_FIELDS
    with pytest.raises(language.RuleError, match="unknown field"):
        language.parse_rules(RULE, council="E09000025")


# --- how to add a publishing backend --------------------------------------------------------------------


def test_the_backend_publishes_the_demo_rounds_grants(examples: None, engine: Engine, tmp_path: Path) -> None:
    backend = importlib.import_module("publishing_backend")
    with session_scope(engine) as s:
        seed_demo(s)  # the real 2021 round: two awards
        export = giving360.write_export(s, tmp_path / "grants.json")
    assert export.grants == 2
    pkg = DatasetPackage(slug="fund-grants", title="Collaborative innovation fund grants",
                         description="Grants as 360Giving open data.", files=(export.path,))
    publisher = backend.ZipPublisher(tmp_path / "catalogue")
    archive = tmp_path / "catalogue" / "fund-grants.zip"

    dry = publisher.publish(pkg, dry_run=True)
    assert [str(s) for s in dry.steps][:2] == ["create dataset: fund-grants",
                                               f"add file: grants.json ({export.path.stat().st_size:,} bytes)"]
    assert not archive.exists()  # a dry run only reads

    done = publisher.publish(pkg)
    assert not done.dry_run and done.url == str(archive)
    with zipfile.ZipFile(archive) as z:
        assert sorted(z.namelist()) == ["datapackage.json", "grants.json"]
        grants = json.loads(z.read("grants.json"))
        meta = json.loads(z.read("datapackage.json"))
    assert giving360.validate(grants) == [] and len(grants["grants"]) == 2
    assert meta["resources"] == [{"path": "grants.json", "bytes": export.path.stat().st_size}]
    assert "Did publish to zip archive" in done.summary()

    again = publisher.publish(pkg, dry_run=True)
    assert [s.action for s in again.steps] == ["update dataset", "replace file"]
