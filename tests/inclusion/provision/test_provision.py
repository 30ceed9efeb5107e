"""Provision in (issue 13): the ONSPD postcode extract, opening hours, CSV and Open Referral UK imports
(whole or not at all, faults named by row and field, re-import replacing the same source) and who may do it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from boroughs.core import datasets
from boroughs.core.errors import PermissionDenied
from boroughs.core.models import Membership, Organisation, OrgKind, Role, User
from boroughs.core.organisations import create_organisation
from boroughs.core.postcodes import ONSPD, prepare_onspd
from boroughs.inclusion.provision import hours, importer
from boroughs.inclusion.provision.models import Provision

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ONSPD_FIXTURE = FIXTURES / "ONSPD_FIXTURE_UK.csv"


def onspd_zip(tmp: Path) -> Path:
    """The fixture packed as the ONSPD zip is (Data/ONSPD_..._UK.csv beside documents)."""
    path = tmp / "onspd.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(ONSPD_FIXTURE, "Data/ONSPD_FIXTURE_UK.csv")
        zf.writestr("Documents/README.txt", "fixture")
    return path


@pytest.fixture
def postcode_data(tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory of the real open data plus the ONSPD extract prepared from the fixture."""
    from tests.inclusion.conftest import mirror_data

    mirror = mirror_data(data_dir, tmp_path / "data")
    target = ONSPD.full_path(mirror)
    target.parent.mkdir(parents=True, exist_ok=True)
    prepare_onspd(onspd_zip(tmp_path), target)
    monkeypatch.setenv("BOROUGHS_DATA_DIR", str(mirror))
    # the Open Referral UK schemas stay beside the real data (the mirror holds data only)
    monkeypatch.setenv("BOROUGHS_ORUK_SPEC_DIR", str(data_dir.parent / "specs" / "oruk"))
    monkeypatch.delenv("BOROUGHS_POSTCODE_LOOKUP", raising=False)
    from boroughs.config import reset_settings

    reset_settings()
    return mirror


# ---- ONSPD -----------------------------------------------------------------------------------------


def test_onspd_is_registered_with_a_versioned_direct_download() -> None:
    ds = datasets.get("lookups.onspd")
    assert ds.download and ds.download.startswith("https://www.arcgis.com/sharing/rest/content/items/")
    assert "february-2025" in ds.url and ds.prepare is prepare_onspd


def test_onspd_extract_keeps_londons_live_postcodes(tmp_path: Path) -> None:
    target = tmp_path / "out.csv.gz"
    prepare_onspd(onspd_zip(tmp_path), target)
    got = pd.read_csv(target, dtype=str)
    source = pd.read_csv(ONSPD_FIXTURE, dtype=str, keep_default_na=False)
    expected = source[(source["rgn"] == "E12000007") & (source["doterm"] == "")]
    assert list(got.columns) == ["pcds", "lsoa21cd", "lat", "long"]
    assert sorted(got["pcds"]) == sorted(expected["pcds"])
    assert "M1 1AE" not in set(got["pcds"]) and "E16 9ZZ" not in set(got["pcds"])
    assert dict(zip(got["pcds"], got["lsoa21cd"], strict=True)) == dict(
        zip(expected["pcds"], expected["lsoa21"], strict=True))


def test_onspd_extract_rejects_a_file_that_is_not_the_onspd(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("postcode,lsoa\nE16 1AA,E01003515\n")
    with pytest.raises(Exception, match="no pcds column|no lsoa21cd column|no rgn column"):
        prepare_onspd(bad, tmp_path / "x.csv.gz")


# ---- opening hours --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "evenings", "weekends"), [
    ("Mo-Fr 09:00-17:00", False, False),
    ("Mo-Fr 09:30-19:00; Sa 10:00-17:00", True, True),
    ("Tu 18:00-20:00", True, False),
    ("Su 10:00-14:00", False, True),
    ("Sa off; Mo,We 10:00-12:00,13:00-16:00", False, False),
    ("Fr-Mo 08:00-12:00", False, True),
    ("24/7", True, True),
    ("", None, None),
])
def test_opening_hours(text: str, evenings: bool | None, weekends: bool | None) -> None:
    h = hours.parse(text)
    assert (h.evenings, h.weekends) == (evenings, weekends)


@pytest.mark.parametrize("text", ["Monday 9-5", "Mo-Fr 9am-5pm", "Xx 09:00-10:00", "Mo-Fr"])
def test_opening_hours_that_cannot_be_read_are_refused(text: str) -> None:
    with pytest.raises(hours.HoursError):
        hours.parse(text)


def test_oruk_schedules() -> None:
    h = hours.from_schedules([{"byday": "MO,TU", "opens_at": "09:00", "closes_at": "20:00"},
                              {"byday": "SA", "opens_at": "10:00:00", "closes_at": "12:00:00"}])
    assert (h.evenings, h.weekends) == (True, True) and h.text.startswith("Mo,Tu 09:00-20:00")
    assert hours.from_schedules([{"weekday": "x"}]).evenings is None


# ---- CSV import -----------------------------------------------------------------------------------

GOOD = """name,kind,address,postcode,latitude,longitude,opening_hours,open_weekends,serves,website
Canning Town Library,library,Barking Road,,51.5146,0.0166,Mo-Fr 09:00-19:00,,Anyone,https://example.org/lib
Digital hub,Digital hub,,,51.5416,0.0013,Tu 10:00-16:00,yes,Adults,
Wifi point,free wifi,,,51.5300,0.0300,,,,
"""


def _council(session: Session, slug: str = "newham", code: str = "E09000025") -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.slug == slug))
    return found or create_organisation(session, slug.title(), OrgKind.COUNCIL, slug=slug, ons_code=code)


def _count(session: Session, org: Organisation | None = None) -> int:
    q = select(func.count(Provision.id))
    if org is not None:
        q = q.where(Provision.organisation_id == org.id)
    return int(session.scalar(q) or 0)


def test_csv_import_lands_each_site_with_its_hours(session: Session, tmp_path: Path) -> None:
    org = _council(session)
    path = tmp_path / "sites.csv"
    path.write_text(GOOD)
    result = importer.import_file(session, path, org)
    assert (result.read, result.imported, result.replaced) == (3, 3, 0)
    rows = {p.name: p for p in session.scalars(select(Provision))}
    lib, hub, wifi = rows["Canning Town Library"], rows["Digital hub"], rows["Wifi point"]
    assert (lib.kind, lib.open_evenings, lib.open_weekends, lib.organisation_id) == ("library", True, False, org.id)
    assert (hub.kind, hub.open_evenings, hub.open_weekends) == ("digital_hub", False, True)  # yes overrides
    assert (wifi.kind, wifi.open_evenings, wifi.open_weekends) == ("free_wifi", None, None)
    assert lib.latitude == pytest.approx(51.5146) and lib.source == "sites.csv" and lib.source_kind == "csv"


def test_bad_rows_are_named_by_row_and_field_and_nothing_lands(session: Session, tmp_path: Path) -> None:
    org = _council(session)
    path = tmp_path / "bad.csv"
    path.write_text(GOOD + "\n".join([
        "Somewhere,community centre,,,51.52,0.02,,,,",         # row 5: kind
        "Far away,library,,,53.48,-2.24,,,,",                    # row 6: outside London
        "Odd hours,library,,,51.52,0.02,Monday 9-5,,,",          # row 7: hours
        ",library,,,51.52,abc,,,,",                              # row 8: name and longitude
        "No place,library,,,,,,,,",                              # row 9: no place
        "Bad flag,library,,,51.52,0.02,,maybe,,www.example.org",  # row 10: open_weekends and website
    ]) + "\n")
    with pytest.raises(importer.ImportFailed) as caught:
        importer.import_file(session, path, org)
    got = {(f.row, f.field) for f in caught.value.faults}
    assert got == {("5", "kind"), ("6", "latitude"), ("7", "opening_hours"), ("8", "name"), ("8", "longitude"),
                   ("9", "postcode"), ("10", "open_weekends"), ("10", "website")}
    assert str(path) in str(caught.value) and "row 5, kind" in str(caught.value)
    assert _count(session) == 0


def test_a_postcode_places_a_site_only_with_the_postcode_file(session: Session, tmp_path: Path,
                                                              postcode_data: Path) -> None:
    org = _council(session)
    path = tmp_path / "pc.csv"
    path.write_text("name,kind,postcode\nHub,digital hub,e16 1aa\n")
    importer.import_file(session, path, org)
    site = session.scalar(select(Provision))
    assert site is not None and site.postcode == "E16 1AA"
    fixture = pd.read_csv(ONSPD_FIXTURE, dtype=str).set_index("pcds")
    assert (site.latitude, site.longitude) == (float(fixture.at["E16 1AA", "lat"]), float(fixture.at["E16 1AA", "long"]))
    path.write_text("name,kind,postcode\nHub,digital hub,E16 9ZZ\n")  # terminated: not in the extract
    with pytest.raises(importer.ImportFailed, match="row 2, postcode"):
        importer.import_file(session, path, org)


def test_reimporting_a_source_replaces_only_that_councils_rows_from_it(session: Session, tmp_path: Path) -> None:
    newham, hackney = _council(session), _council(session, "hackney", "E09000012")
    path = tmp_path / "sites.csv"
    path.write_text(GOOD)
    importer.import_file(session, path, newham)
    importer.import_file(session, path, hackney)
    other = tmp_path / "other.csv"
    other.write_text("name,kind,latitude,longitude\nX,library,51.52,0.02\n")
    importer.import_file(session, other, newham)
    path.write_text("name,kind,latitude,longitude\nOnly one,library,51.52,0.02\n")
    result = importer.import_file(session, path, newham)
    assert (result.imported, result.replaced) == (1, 3)
    assert _count(session, newham) == 2 and _count(session, hackney) == 3


def test_cli_import_reports_faults_to_a_file(engine: Engine, session: Session, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _council(session)
    session.commit()
    _use(engine, monkeypatch)
    from boroughs.app import cli as app

    bad = tmp_path / "bad.csv"
    bad.write_text("name,kind,latitude,longitude\nA,library,51.52,0.02\nB,shop,51.52,0.02\n")
    report = tmp_path / "faults.csv"
    res = CliRunner().invoke(app, ["inclusion", "provision", "import", str(bad), "--council", "newham",
                                   "--report", str(report)])
    assert res.exit_code == 1 and "nothing was imported" in res.output
    assert pd.read_csv(report, dtype=str).to_dict("records") == [
        {"row": "3", "field": "kind", "value": "shop", "problem": res.output.split("row 3, kind: ")[1].split(" (")[0]}]
    assert _count(session) == 0
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    res = CliRunner().invoke(app, ["inclusion", "provision", "import", str(good), "--council", "E09000025"])
    assert res.exit_code == 0, res.output
    assert "Imported 3 sites" in res.output
    session.expire_all()
    assert _count(session) == 3


def _use(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from boroughs.config import reset_settings
    from boroughs.core.db import reset_engines

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_settings()
    reset_engines()


# ---- ORUK -----------------------------------------------------------------------------------------


def test_the_demo_directorys_oruk_export_imports_its_digital_services(
        engine: Engine, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postcode_data: Path) -> None:
    from boroughs.support.demo.referrals import seed_directory

    for name, slug, number in (("Eastside Community Food Network (demo)", "eastside-food", "1000001"),
                               ("Hackney Digital Buddies (demo)", "digital-buddies", "1000002")):
        create_organisation(session, name, OrgKind.VCS, slug=slug, charity_number=number)
    seed_directory(session)
    hackney = _council(session, "hackney", "E09000012")
    session.commit()
    _use(engine, monkeypatch)
    from boroughs.app import cli as app

    export = tmp_path / "directory.json"
    res = CliRunner().invoke(app, ["support", "directory", "export-oruk", "--out", str(export)])
    assert res.exit_code == 0, res.output
    doc = json.loads(export.read_text())
    res = CliRunner().invoke(app, ["inclusion", "provision", "import", str(export), "--council", "hackney"])
    assert res.exit_code == 0, res.output
    session.expire_all()
    sites = list(session.scalars(select(Provision).where(Provision.organisation_id == hackney.id)))
    digital = [s for s in doc["contents"] if importer.oruk_kind(s) is not None]
    assert digital and len(digital) < len(doc["contents"])  # the food and advice services are not digital support
    assert {s.external_id.split(":")[0] for s in sites} == {s["id"] for s in digital}
    assert all(s.source_kind == "oruk" and s.postcode for s in sites)
    by_name = {s.name: s for s in sites}
    assert by_name["Digital skills drop-in (demo)"].kind == "skills_course"
    # Kept in step: a service withdrawn from the directory disappears on the next import of the export.
    doc["contents"] = [s for s in doc["contents"] if s["name"] != "Digital skills drop-in (demo)"]
    export.write_text(json.dumps(doc))
    res = CliRunner().invoke(app, ["inclusion", "provision", "import", str(export), "--council", "hackney"])
    assert res.exit_code == 0, res.output
    session.expire_all()
    names = set(session.scalars(select(Provision.name).where(Provision.organisation_id == hackney.id)))
    assert "Digital skills drop-in (demo)" not in names and len(names) == len(sites) - 1


def test_the_real_oruk_1_feed_is_read_by_keyword(tmp_path: Path) -> None:
    from boroughs.support.directory.oruk.schema import spec_dir

    feed = spec_dir() / "real-data" / "north-lincolnshire-council-services-2024-12.json"
    parsed = importer.read_file(feed)
    # The feed's service list carries no locations: every service is skipped (and said why), none is a fault.
    assert parsed.read > 100 and not parsed.faults and not parsed.sites
    assert len(parsed.skipped) == parsed.read
    assert {why for _, _, why in parsed.skipped} == {"not digital support (no digital keyword)",
                                                    "no physical location (online or phone only)"}


# ---- who may ---------------------------------------------------------------------------------------


def test_only_the_owning_councils_importers_may_import(session: Session, tmp_path: Path) -> None:
    newham, hackney = _council(session), _council(session, "hackney", "E09000012")
    user = User(email="analyst@example.org", name="Analyst")
    session.add(user)
    session.flush()
    session.add(Membership(user_id=user.id, organisation_id=newham.id, role=Role.COUNCIL_ANALYST.value))
    session.flush()
    session.refresh(user)
    path = tmp_path / "sites.csv"
    path.write_text(GOOD)
    assert importer.import_file(session, path, newham, actor=user).imported == 3
    with pytest.raises(PermissionDenied):
        importer.import_file(session, path, hackney, actor=user)
    with pytest.raises(PermissionDenied):
        importer.clear(session, newham, actor=user)  # analysts import; managers remove
    assert _count(session, newham) == 3 and _count(session, hackney) == 0
