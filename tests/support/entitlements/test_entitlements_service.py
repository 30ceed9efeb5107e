"""``boroughs support entitlements`` over a linked synthetic borough, on SQLite and PostgreSQL (issue 18)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from boroughs.app import cli as app
from boroughs.core.db import session_scope
from boroughs.core.models import AuditEvent
from boroughs.support.entitlements import service
from boroughs.support.linkage.residents import link_council
from boroughs.support.records.ingest import import_dataset
from boroughs.support.records.models import ResidentRecord, SourceRecord
from boroughs.support.rules.service import record_opt_out
from tests.support.outreach_factories import council, synth_folder

AS_OF = dt.date(2026, 9, 30)


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")


@pytest.fixture(scope="module")
def borough(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    return synth_folder(tmp_path_factory.mktemp("ent"), residents=2500, seed=11)


def _load(engine: Engine, folder: Path) -> int:
    with session_scope(engine) as s:
        org = council(s)
        for key in ("council_tax", "rent", "hb_ctr"):
            import_dataset(s, org.id, key, folder / f"SYNTHETIC_{key}.csv", folder / f"SYNTHETIC_{key}_history.csv",
                           today=AS_OF)
        link_council(s, org.id)
        return org.id


def test_entitlements_contract_file_matches_the_independent_truth(engine: Engine, borough: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    org_id = _load(engine, borough)
    r = CliRunner().invoke(app, ["support", "entitlements", "--council", "E09000025", "--out", str(tmp_path),
                                 "--as-of", AS_OF.isoformat()])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader((tmp_path / "entitlements.csv").open()))
    assert rows and list(rows[0]) == list(service.CSV_COLUMNS)
    for row in rows:
        assert row["benefit"] in service.BENEFITS and row["rates_year"] == "2026-27"
        assert float(row["weekly_amount"]) > 0
        assert float(row["annual_amount"]) == pytest.approx(float(row["weekly_amount"]) * 52, abs=0.01)
        assert "not a decision" in row["explanation"]
    # Against the generator's truth (made apart, with its own arithmetic): map each listed resident to the
    # true person of its claim records.
    truth = pd.read_csv(borough / "SYNTHETIC_ground_truth.csv", dtype=str)
    ent = pd.read_csv(borough / "SYNTHETIC_entitlements_truth.csv", dtype=str)
    with session_scope(engine) as s:
        link = dict(s.execute(select(SourceRecord.record_id, ResidentRecord.resident_id)
                              .join(ResidentRecord, ResidentRecord.source_record_id == SourceRecord.id)
                              .where(SourceRecord.organisation_id == org_id)).all())
    person_of_record = dict(zip(truth["record_id"], truth["person_id"], strict=True))
    people_of_resident: dict[int, set[str]] = {}
    for rec, res in link.items():
        people_of_resident.setdefault(res, set()).add(person_of_record[rec])
    missing = set(ent.loc[ent["missing_out"] == "yes", "person_id"])
    listed = [people_of_resident[int(row["resident_id"])] for row in rows if row["benefit"] == "pension_credit"]
    true_pos = sum(1 for p in listed if p & missing)
    precision = true_pos / len(listed)
    recall = sum(1 for m in missing if any(m in p for p in listed)) / len(missing)
    assert precision >= 0.8 and recall >= 0.8, (precision, recall, len(listed), len(missing))
    # Housing Benefit and Council Tax Reduction below what the rules give: every household the truth says
    # would get more is listed, and every one counted as likely is one of them.
    for benefit, column in (("housing_benefit", "missing_out_hb"), ("council_tax_reduction", "missing_out_ctr")):
        truly = set(ent.loc[ent[column] == "yes", "person_id"])
        mine = [(people_of_resident[int(r["resident_id"])], r["likelihood"]) for r in rows if r["benefit"] == benefit]
        assert truly, f"the synthetic borough has no household missing out on {benefit}"
        assert all(any(m in people for people, _ in mine) for m in truly), benefit
        assert all(people & truly for people, likelihood in mine if likelihood == "likely"), benefit
    with session_scope(engine) as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "support.entitlements.export")) is not None


def test_residents_who_objected_are_never_estimated(engine: Engine, borough: Path) -> None:
    org_id = _load(engine, borough)
    with session_scope(engine) as s:
        first = service.missing_out(s, org_id, AS_OF)
        assert len(first)
        objector = int(first.iloc[0]["resident_id"])
        record_opt_out(s, org_id, objector, objected_on=AS_OF, source="letter", user=None)
    with session_scope(engine) as s:
        again = service.missing_out(s, org_id, AS_OF)
    assert objector not in set(again["resident_id"].astype(int))
    assert len(again) == int((first["resident_id"].astype(int) != objector).sum())


def test_an_unknown_council_is_a_clear_error(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    r = CliRunner().invoke(app, ["support", "entitlements", "--council", "E09999999", "--out", str(tmp_path)])
    assert r.exit_code != 0 and "E09999999" in r.output
    assert not (tmp_path / "entitlements.csv").exists()
