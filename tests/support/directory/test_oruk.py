"""Open Referral UK: import of the real ORUK 1.0 feed with its faults reported, ORUK 3.0 import and export,
the ``export-oruk`` contract, and the read API checked against the official OpenAPI document and schemas
(issue 7)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from boroughs.app import create_app
from boroughs.core.errors import DataError
from boroughs.support.demo.referrals import seed_directory
from boroughs.support.directory.models import DirService
from boroughs.support.directory.oruk import export as oruk_export
from boroughs.support.directory.oruk import importer as oruk_importer
from boroughs.support.directory.oruk import schema as oruk_schema

SPEC = oruk_schema.spec_dir()
REAL = SPEC / "real-data" / "north-lincolnshire-council-services-2024-12.json"
EXAMPLES = SPEC / "3.0" / "examples"


def _import_real(session: Session) -> oruk_importer.ImportReport:
    return oruk_importer.import_oruk(session, oruk_importer.read_json(REAL), "North Lincolnshire Council")


def test_real_oruk_1_feed_keeps_every_valid_service_and_reports_each_fault(session: Session) -> None:
    report = _import_real(session)
    assert report.version == "1.0"
    assert report.read == 738 and report.kept == 738 and report.skipped == 0
    assert session.scalar(select(func.count()).select_from(DirService)) == 738
    by_field = Counter((f.field, f.action.split(":")[0]) for f in report.faults)
    # The faults PROVENANCE.md lists for this feed, each reported against its record and field:
    assert by_field[("organization/uri", "treated as not given")] == 738  # '' is not a uri
    assert by_field[("email", "treated as not given")] == 40  # '' is not an email
    assert by_field[("organization/url", "repaired")] == 32  # www.example.com without https://
    assert by_field[("url", "repaired")] + by_field[("url", "dropped")] == 15  # the anyOf failures
    for key in ("deliverable_type", "attending_type", "attending_access"):  # '' or wrong capitals vs the enum
        assert sum(n for (f, _a), n in by_field.items() if f == key) == 738
    fault = next(f for f in report.faults if f.field == "organization/url" and f.action.startswith("repaired"))
    assert fault.record and fault.name and fault.value.startswith("www.")
    repaired = session.scalars(select(DirService).where(DirService.uuid == fault.record)).one()
    assert repaired is not None and repaired.organisation.website == "https://" + fault.value
    # re-importing updates in place
    again = _import_real(session)
    assert again.updated == 738 and again.created == 0
    assert session.scalar(select(func.count()).select_from(DirService)) == 738


def test_v1_record_without_id_or_name_is_skipped_and_reported(session: Session) -> None:
    feed = json.loads(REAL.read_text())[:3]
    feed[0] = {**feed[0], "name": ""}
    feed[1] = {**feed[1], "email": "not-an-email"}
    report = oruk_importer.import_oruk(session, {"content": feed}, "broken feed")
    assert report.kept == 2 and report.skipped == 1
    assert any(f.record == feed[0]["id"] and f.field == "name" and f.action == "record skipped" for f in report.faults)
    assert any(f.field == "email" and f.value == "not-an-email" and f.action == "dropped" for f in report.faults)


def test_bad_files_name_the_file_and_problem(tmp_path: Path) -> None:
    bad = tmp_path / "feed.json"
    bad.write_text('{"content": [}')
    with pytest.raises(DataError, match=r"feed\.json.*not valid JSON \(line 1"):
        oruk_importer.read_json(bad)
    bad.write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(DataError, match="not UTF-8"):
        oruk_importer.read_json(bad)
    with pytest.raises(DataError, match="not an ORUK document"):
        oruk_importer.import_oruk(None, {"something": 1}, "x")  # type: ignore[arg-type]


@pytest.mark.parametrize("example", ["service_full.json", "service_list.json"])
def test_oruk_3_examples_import_and_export_round_trip(session: Session, example: str) -> None:
    doc = json.loads((EXAMPLES / example).read_text())
    report = oruk_importer.import_oruk(session, doc, "ORUK example")
    assert report.version == "3.0" and report.kept == 1, [f.as_dict() for f in report.faults]
    original = doc if "contents" not in doc else doc["contents"][0]
    svc = session.scalars(select(DirService).where(DirService.uuid == original["id"])).one()
    out = oruk_export.service_json(svc)
    assert oruk_schema.validation_errors(out, "service") == []
    for key in ("id", "name", "status", "email", "url", "minimum_age", "maximum_age"):
        assert out.get(key) == original.get(key), key
    assert out["organization"]["id"] == original["organization"]["id"]
    if example == "service_full.json":
        assert len(out["service_at_locations"]) == len(original["service_at_locations"])
        assert len(out["schedules"]) == len(original["schedules"])
        assert {a["taxonomy_term"]["name"] for a in out["attributes"]} == \
            {a["taxonomy_term"]["name"] for a in original["attributes"] if a.get("taxonomy_term")}


def _engine_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_export_oruk_contract_validates_with_format_checking(engine: Engine, session: Session, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from boroughs.core.models import OrgKind
    from boroughs.core.organisations import create_organisation

    create_organisation(session, "Eastside Community Food Network (demo)", OrgKind.VCS, slug="eastside-food",
                        charity_number="1000001")
    create_organisation(session, "Hackney Digital Buddies (demo)", OrgKind.VCS, slug="digital-buddies",
                        charity_number="1000002")
    seed_directory(session)
    _import_real(session)
    oruk_importer.import_oruk(session, json.loads((EXAMPLES / "service_full.json").read_text()), "ORUK example")
    session.commit()
    monkeypatch.setenv("DATABASE_URL", _engine_url(engine))
    from boroughs.app import cli as app
    from boroughs.config import reset_settings
    from boroughs.core.db import reset_engines

    reset_settings()
    reset_engines()

    out = tmp_path / "directory.json"
    result = CliRunner().invoke(app, ["support", "directory", "export-oruk", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["total_items"] == len(doc["contents"]) == 743 and doc["first_page"] and doc["last_page"]
    assert oruk_schema.validation_errors(doc, "service_list") == []
    for s in doc["contents"]:
        assert oruk_schema.validation_errors(s, "service") == [], s["id"]
    demo = next(s for s in doc["contents"] if s["name"] == "Emergency food parcels (demo)")
    assert demo["organization"]["name"].startswith("Eastside")
    assert demo["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "E15 4AA"
    assert demo["schedules"] and demo["contacts"]
    assert {a["taxonomy_term"]["name"] for a in demo["attributes"]} == {"Food"}


def test_export_rejects_an_invalid_document() -> None:
    bad = {"contents": [{"id": "not-a-uuid", "name": "x", "status": "open"}]}
    errors = oruk_schema.validation_errors(bad, "service_list")
    assert any("uuid" in e for e in errors) and any("status" in e or "open" in e for e in errors)


# ------------------------------------------------------------------------------------------ the API

OPENAPI = json.loads((SPEC / "3.0" / "openapi.json").read_text())


def _schema_for(path: str) -> str:
    ref = OPENAPI["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    return str(ref.rsplit("/", 1)[-1].removesuffix(".json"))


@pytest.fixture
def api(engine: Engine, session: Session) -> Any:
    from boroughs.core.models import OrgKind
    from boroughs.core.organisations import create_organisation

    create_organisation(session, "Eastside Community Food Network (demo)", OrgKind.VCS, slug="eastside-food",
                        charity_number="1000001")
    seed_directory(session)
    oruk_importer.import_oruk(session, json.loads((EXAMPLES / "service_full.json").read_text()), "ORUK example")
    session.commit()
    with TestClient(create_app(engine)) as c:
        yield c


def test_every_openapi_path_is_served_and_validates(api: TestClient, session: Session) -> None:
    svc = session.scalars(select(DirService).where(DirService.name == "Emergency food parcels (demo)")).one()
    ids = {
        "{id}@/services/{id}": svc.uuid,
        "{id}@/organizations/{id}": svc.organisation.uuid,
        "{id}@/service_at_locations/{id}": svc.locations[0].sal_uuid,
        "{id}@/taxonomies/{id}": svc.terms[0].taxonomy.uuid,
        "{id}@/taxonomy_terms/{id}": svc.terms[0].uuid,
    }
    served = 0
    for path in OPENAPI["paths"]:
        url = path
        if "{id}" in path:
            url = path.replace("{id}", ids[f"{{id}}@{path}"])
        r = api.get("/api/oruk" + url)
        assert r.status_code == 200, (path, r.text[:300])
        body = r.json()
        assert oruk_schema.validation_errors(body, _schema_for(path)) == [], path
        if "contents" in body:
            assert body["contents"], path
            assert body["total_items"] >= len(body["contents"])
        served += 1
    assert served == len(OPENAPI["paths"]) == 11


def test_api_paging_filters_and_unknown_ids(api: TestClient, session: Session) -> None:
    page = api.get("/api/oruk/services", params={"per_page": 2, "page": 2}).json()
    assert page["page_number"] == 2 and page["size"] == len(page["contents"]) <= 2
    assert page["total_items"] == 3 and page["total_pages"] == 2 and not page["first_page"] and page["last_page"]
    assert oruk_schema.validation_errors(page, "service_list") == []
    food = session.scalars(select(DirService).where(DirService.name == "Emergency food parcels (demo)")).one()
    by_term = api.get("/api/oruk/services", params={"taxonomy_term_id": food.terms[0].uuid}).json()
    assert [s["name"] for s in by_term["contents"]] == ["Emergency food parcels (demo)"]
    by_org = api.get("/api/oruk/services", params={"organization_id": food.organisation.uuid}).json()
    assert by_org["total_items"] == 2
    minimal = api.get("/api/oruk/services", params={"minimal": "true"}).json()
    assert set(minimal["contents"][0]) == {"id", "name", "status", "last_modified"}
    assert api.get("/api/oruk/services", params={"modified_after": "nonsense"}).status_code == 400
    assert api.get("/api/oruk/services/00000000-0000-0000-0000-000000000000").status_code == 404
    empty = api.get("/api/oruk/services", params={"search": "zzzz-nothing"}).json()
    assert empty["empty"] and empty["contents"] == []
