"""Importing council datasets (issue 5): schemas, quarantine, atomic and idempotent imports, bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from boroughs.core.db import session_scope
from boroughs.core.errors import DataError
from boroughs.core.models import Organisation
from boroughs.support.records.ingest import ImportRefused, import_dataset
from boroughs.support.records.models import ImportBatch, RecordEvent, SourceRecord
from boroughs.support.records.schemas import SCHEMAS
from boroughs.support.synth.population import synthesise

TODAY = dt.date(2026, 10, 1)

GOOD = (
    "record_id,first_name,last_name,dob,address_line_1,postcode,uprn,tenancy_ref,synthetic\n"
    "RA1,Amina,Begum,1980-02-03,1 Elm Road,E6 1AB,990000000001,T1,SYNTHETIC\n"
    "RA2,Kofi,Mensah,1975-11-30,2 Elm Road,E6 1AB,990000000002,T2,SYNTHETIC\n"
)


@pytest.fixture
def council(engine: Engine) -> int:
    with session_scope(engine) as s:
        org = Organisation(slug="newham", name="Newham", kind="council", ons_code="E09000025")
        s.add(org)
        s.flush()
        return org.id


@pytest.fixture(scope="module")
def borough(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("synth")
    synthesise(150, 5, out, data_dir=data_dir)
    return out


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def _write(tmp_path: Path, text: str | bytes, name: str = "rent.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def test_every_synthetic_dataset_imports_with_history_and_reimport_is_a_noop(
    engine: Engine, council: int, borough: Path
) -> None:
    for key, schema in SCHEMAS.items():
        hist = borough / f"SYNTHETIC_{key}_history.csv"
        with session_scope(engine) as s:
            rep = import_dataset(s, council, key, borough / f"SYNTHETIC_{key}.csv",
                                 hist if schema.measures else None, today=TODAY)
        assert rep.imported == rep.rows > 0 and not rep.problems, key
        assert rep.events > 0, key
    records, events = _count(engine, SourceRecord), _count(engine, RecordEvent)
    with session_scope(engine) as s:
        again = import_dataset(s, council, "rent", borough / "SYNTHETIC_rent.csv",
                               borough / "SYNTHETIC_rent_history.csv", today=TODAY)
    assert again.already_imported
    assert (_count(engine, SourceRecord), _count(engine, RecordEvent)) == (records, events)
    with session_scope(engine) as s:
        rec = s.execute(select(SourceRecord).where(SourceRecord.dataset == "council_tax")).scalars().first()
        assert rec is not None and rec.synthetic and rec.organisation_id == council
        assert "account_ref" in rec.attributes
        arrears = [e for e in rec.events if e.measure == "arrears"]
        assert len(arrears) == 12 and arrears[0].event_date < arrears[-1].event_date


def test_parquet_and_excel_import(engine: Engine, council: int, tmp_path: Path) -> None:
    frame = pd.read_csv(_write(tmp_path, GOOD), dtype=str)
    frame.to_parquet(tmp_path / "rent.parquet")
    frame.assign(record_id=["RA3", "RA4"]).to_excel(tmp_path / "rent.xlsx", index=False)
    with session_scope(engine) as s:
        assert import_dataset(s, council, "rent", tmp_path / "rent.parquet", today=TODAY).imported == 2
        assert import_dataset(s, council, "rent", tmp_path / "rent.xlsx", today=TODAY).imported == 2
    assert _count(engine, SourceRecord) == 4


def test_newer_extract_updates_records_and_grows_history(engine: Engine, council: int, tmp_path: Path) -> None:
    h1 = _write(tmp_path, "record_id,event_date,arrears,weekly_rent\nRA1,2026-01-31,0,120\n", "h1.csv")
    h2 = _write(tmp_path, "record_id,event_date,arrears,weekly_rent\nRA1,2026-01-31,0,120\n"
                          "RA1,2026-02-28,480,120\n", "h2.csv")
    with session_scope(engine) as s:
        import_dataset(s, council, "rent", _write(tmp_path, GOOD), h1, today=TODAY)
    with session_scope(engine) as s:
        rep = import_dataset(s, council, "rent", _write(tmp_path, GOOD.replace("Kofi", "Kwame"), "r2.csv"), h2,
                             today=TODAY)
    assert rep.updated == 2 and rep.imported == 0 and rep.events == 2  # one new month, two measures
    with session_scope(engine) as s:
        kwame = s.execute(select(SourceRecord).where(SourceRecord.record_id == "RA2")).scalar_one()
        assert kwame.first_name == "Kwame"
        assert s.execute(select(func.count()).select_from(RecordEvent)).scalar_one() == 4


@pytest.mark.parametrize(
    ("content", "field", "row", "words"),
    [
        (GOOD.replace("1980-02-03", "03/Feb/80"), "dob", 1, "not a date"),
        (GOOD.replace("1975-11-30", "2031-01-01"), "dob", 2, "in the future"),
        (GOOD.replace("1975-11-30", "1850-01-01"), "dob", 2, "older than"),
        (GOOD.replace("1975-11-30", "1975-02-30"), "dob", 2, "not a date"),
        (GOOD.replace("RA2", "RA1"), "record_id", 2, "repeated"),
        (GOOD.replace("E6 1AB,990000000002", "NOT A PC,990000000002"), "postcode", 2, "postcode"),
        (GOOD.replace(",Kofi,", ",,"), "first_name", 2, "required"),
    ],
)
def test_bad_rows_are_named_and_nothing_is_imported(
    engine: Engine, council: int, tmp_path: Path, content: str, field: str, row: int, words: str
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(ImportRefused) as err, session_scope(engine) as s:
        import_dataset(s, council, "rent", path, today=TODAY)
    msg = str(err.value)
    assert str(path) in msg and repr(field) in msg and f"row {row}" in msg and words in msg
    assert _count(engine, SourceRecord) == 0 and _count(engine, ImportBatch) == 0
    report = pd.read_csv(path.with_name("rent.quarantine.csv"))
    assert list(report.columns) == ["file", "row", "field", "problem"]
    assert (report["row"] == row).any() and (report["field"] == field).any()


def test_accept_valid_imports_good_rows_and_quarantines_the_rest(
    engine: Engine, council: int, tmp_path: Path
) -> None:
    path = _write(tmp_path, GOOD.replace("1975-11-30", "1975-13-30"))
    with session_scope(engine) as s:
        rep = import_dataset(s, council, "rent", path, accept_valid=True, today=TODAY)
    assert rep.imported == 1 and rep.quarantined_rows == 1
    assert rep.problems[0].row == 2 and rep.problems[0].field == "dob"


@pytest.mark.parametrize(
    ("content", "words", "field"),
    [
        (b"", "empty", None),
        (b"record_id,first_name,last_name,dob,address_line_1,postcode,uprn,tenancy_ref\n", "no rows", None),
        (GOOD.replace("tenancy_ref", "tenancy").encode(), "missing required column", "tenancy_ref"),
        (GOOD.replace("first_name", "forename").encode(), "missing required column", "first_name"),
        (GOOD.encode() + "RA3,Jos\xe9,Silva,1990-01-01,3 Elm Road,E6 1AB,990000000003,T3,SYNTHETIC\n"
         .encode("cp1252"), "not UTF-8", "first_name"),
    ],
)
def test_bad_files_are_refused_with_file_and_field(
    engine: Engine, council: int, tmp_path: Path, content: bytes, words: str, field: str | None
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(DataError) as err, session_scope(engine) as s:
        import_dataset(s, council, "rent", path, today=TODAY)
    msg = str(err.value)
    assert str(path) in msg and words in msg
    if field:
        assert repr(field) in msg
    if words == "not UTF-8":
        assert "row 3" in msg.replace("rows 3", "row 3")
    assert _count(engine, SourceRecord) == 0


def test_history_for_unknown_record_rolls_back_everything(engine: Engine, council: int, tmp_path: Path) -> None:
    hist = _write(tmp_path, "record_id,event_date,arrears,weekly_rent\nRA1,2026-01-31,0,120\n"
                            "NOPE,2026-01-31,10,120\n", "hist.csv")
    with pytest.raises(ImportRefused) as err, session_scope(engine) as s:
        import_dataset(s, council, "rent", _write(tmp_path, GOOD), hist, today=TODAY)
    assert "row 2" in str(err.value) and "'record_id'" in str(err.value)
    assert _count(engine, SourceRecord) == 0 and _count(engine, RecordEvent) == 0


def test_an_import_refreshes_the_planners_statistics(engine: Engine, council: int, borough: Path) -> None:
    """Issue 11: after a bulk import the planner knows the tables' new size. Without it, PostgreSQL planned a
    resident's timeline as a scan of every event (17 ms a page instead of 0.1 ms) until autovacuum ran."""
    from sqlalchemy import text

    def planner_rows(table: str) -> float | None:
        with engine.connect() as c:
            if engine.dialect.name == "postgresql":
                return float(c.execute(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}).scalar_one())
            if not c.execute(text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
                return None
            stat = c.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t LIMIT 1"), {"t": table}).scalar()
            return float(stat.split()[0]) if stat else None

    if engine.dialect.name == "sqlite":
        with engine.begin() as c:  # the database may hold statistics from an earlier test's import
            if c.execute(text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
                c.execute(text("DELETE FROM sqlite_stat1"))
    else:
        with engine.begin() as c:
            c.execute(text("TRUNCATE support_record_event, support_source_record CASCADE"))
    before = planner_rows("support_record_event")
    with session_scope(engine) as s:
        import_dataset(s, council, "rent", borough / "SYNTHETIC_rent.csv", borough / "SYNTHETIC_rent_history.csv",
                       today=TODAY)
    events, records = _count(engine, RecordEvent), _count(engine, SourceRecord)
    assert events > 100 and before != events
    assert planner_rows("support_record_event") == events
    assert planner_rows("support_source_record") == records
