"""360Giving: the export validates against the official 1.4.3 schema (format checking on), uses GB-LAE
identifiers and ONS borough codes, and real published data imports whole or not at all (issue 8)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from boroughs.config import get_settings, reset_settings
from boroughs.core.db import reset_engines, session_scope
from boroughs.core.errors import DataError
from boroughs.fund import decisions
from boroughs.fund.cli import app
from boroughs.fund.models import ExternalGrant
from boroughs.fund.opendata import giving360
from tests.conftest import skip_or_fail

from . import factories as f


def _find_specs() -> Path:
    """The shared 360Giving specifications, beside the data directory (../shared/specs/360giving)."""
    for base in (get_settings().data_dir.parent, Path(__file__).resolve().parents[3] / "shared"):
        if (base / "specs" / "360giving").is_dir():
            return base / "specs" / "360giving"
    return get_settings().data_dir.parent / "specs" / "360giving"


SPECS = _find_specs()
EXAMPLE = SPECS / "examples" / "a003W000001B7PzQAK.json"


def _specs() -> Path:
    if not SPECS.is_dir():
        skip_or_fail(f"no 360Giving specifications at {SPECS}: they live in ../shared/specs")
    return SPECS


def _awarded(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    a = f.submitted(session, w, call, lead="newham", partners=("hackney",), amount=75_000, title="Support")
    b = f.submitted(session, w, call, lead="barnet", partners=("brent",), amount=60_000, title="Map", strand=1)
    f.in_assessment(session, w, call, [a, b])
    decisions.decide(session, w.manager, call, [(a.id, 75_000), (b.id, 55_000)])


def test_vendored_schemas_match_the_official_copies() -> None:
    specs = _specs()
    for name in (giving360.PACKAGE_SCHEMA, giving360.GRANT_SCHEMA):
        assert (giving360.SCHEMA_DIR / name).read_bytes() == (specs / "schema" / name).read_bytes()


def test_export_validates_with_lae_ids_and_ons_codes(session: Session) -> None:
    _awarded(session)
    pkg = giving360.export_package(session, base_url="https://boroughs.example.org")
    assert giving360.validate(pkg) == []
    assert giving360.validate(pkg, _specs() / "schema") == []
    g = pkg["grants"][0]
    assert g["recipientOrganization"] == [{"id": "GB-LAE-NWM", "name": "Newham"}]
    assert g["beneficiaryLocation"] == [
        {"name": "Newham", "geoCode": "E09000025", "countryCode": "GB", "geoCodeType": "LONB"},
        {"name": "Hackney", "geoCode": "E09000012", "countryCode": "GB", "geoCodeType": "LONB"},
    ]
    assert g["amountAwarded"] == 75_000 and g["currency"] == "GBP" and g["awardDate"][4] == "-"
    assert g["fundingOrganization"][0]["id"] == "360G-test-loti"
    assert "Led by Newham with Hackney" in g["description"]
    assert pkg["grants"][1]["grantProgramme"][0]["title"] == "Covid Innovation Fund: Digitally-enabled initiative"
    geo_types = (_specs() / "codelists" / "geoCodeType.csv").read_text()
    assert "\nLONB," in geo_types


def test_validation_catches_what_format_checking_is_for(session: Session) -> None:
    _awarded(session)
    pkg = giving360.export_package(session)
    bad = json.loads(json.dumps(pkg))
    bad["grants"][0]["awardDate"] = "17/02/2021"
    bad["grants"][1]["url"] = "not a url"
    del bad["grants"][1]["fundingOrganization"]
    errors = giving360.validate(bad)
    assert any(e.startswith("grant 1 (") and "awardDate" in e for e in errors)
    assert any(e.startswith("grant 2 (") and "url" in e for e in errors)
    assert any("grant 2" in e for e in errors if "fundingOrganization" in e or "(whole record)" in e)


def test_empty_export_is_refused(session: Session, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no awards to export"):
        giving360.write_export(session, tmp_path / "g.json")
    assert not (tmp_path / "g.json").exists()


def test_import_real_published_data(session: Session) -> None:
    _specs()
    assert giving360.validate(json.loads(EXAMPLE.read_text())) == []
    result = giving360.import_package(session, EXAMPLE, source="alwf")
    assert result.grants == 475 and result.funders == ["Andrew Lloyd Webber Foundation"]
    again = giving360.import_package(session, EXAMPLE, source="alwf")
    assert again.replaced == 475
    assert session.query(ExternalGrant).count() == 475
    assert giving360.external_grants(session, source="alwf", limit=1)[0].funder_id == "GB-CHC-1015648"


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe not utf-8", "not UTF-8"),
    (b'{"grants": [', "not valid JSON at line 1"),
    (b'{"rows": []}', "has no 'grants' list"),
    (b'{"grants": [{"id": "x"}]}', "problems against the 360Giving schema"),
])
def test_bad_imports_land_nothing(session: Session, tmp_path: Path, content: bytes, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    with pytest.raises(DataError, match=message) as exc:
        giving360.import_package(session, bad)
    assert str(bad) in str(exc.value)
    assert session.query(ExternalGrant).count() == 0


def test_duplicate_grant_ids_are_refused(session: Session, tmp_path: Path) -> None:
    _specs()
    data = json.loads(EXAMPLE.read_text())
    data["grants"] = [data["grants"][0], data["grants"][1], dict(data["grants"][0])]
    data["grants"][2]["title"] = "changed so the items are not identical"
    p = tmp_path / "dupes.json"
    p.write_text(json.dumps(data))
    with pytest.raises(DataError, match="grant identifiers repeat; column 'id'; rows 3"):
        giving360.import_package(session, p)


def test_cli_export_and_validate(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_settings()
    reset_engines()
    with session_scope(engine) as s:
        _awarded(s)
    out = tmp_path / "grants.json"
    r = CliRunner().invoke(app, ["export-360giving", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Wrote 2 grants" in r.output
    r = CliRunner().invoke(app, ["validate-360giving", str(out)])
    assert r.exit_code == 0 and "valid 360Giving 1.4.3 package (2 grants)" in r.output
    shutil.copy(out, tmp_path / "broken.json")
    broken = json.loads(out.read_text())
    broken["grants"][0]["amountAwarded"] = "lots"
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    r = CliRunner().invoke(app, ["validate-360giving", str(tmp_path / "broken.json")])
    assert r.exit_code == 1 and "amountAwarded" in r.output
    r = CliRunner().invoke(app, ["calls", "--json"])
    assert r.exit_code == 0 and '"awarded": 75000' in r.output
