"""Import a council dataset (CSV, Parquet or Excel) into ``support_`` tables, checked against its schema.

* Problems with the file as a whole (empty, not UTF-8, missing columns) raise ``DataError`` naming the file,
  the field and, where known, the row.
* Problems with rows (unparseable or impossible dates, bad codes, duplicated record ids, history for an
  unknown record) are collected in a quarantine report: one line per row and field, written as CSV.
  By default any quarantined row stops the import (``ImportRefused``); with ``accept_valid=True`` the valid
  rows are imported and the rest are left in the report.
* An import lands whole or not at all: everything is written in the caller's one transaction.
* Re-importing a file already imported (same SHA-256 of the records and history files) does nothing.
* Re-importing a newer extract updates the records' fields and adds the new history (existing dated values
  are kept), so histories grow month by month.

Rows are numbered as a spreadsheet numbers data rows: the first row after the header is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.db import analyze, utcnow
from boroughs.core.errors import DataError
from boroughs.core.models import User
from boroughs.support.records.models import ImportBatch, RecordEvent, SourceRecord
from boroughs.support.records.schemas import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    PERSON_FIELDS,
    SourceSchema,
    check_value,
    get_schema,
)

SUFFIXES = (".csv", ".parquet", ".xlsx", ".xlsm")
DIRECT_COLUMNS = (*PERSON_FIELDS, "sex", "ethnicity", "disability", "lsoa21_code")


@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}, field {self.field!r}: {self.message}"


@dataclass
class ImportReport:
    dataset: str
    file: str
    rows: int = 0
    imported: int = 0
    updated: int = 0
    events: int = 0
    problems: list[Problem] = field(default_factory=list)
    already_imported: bool = False
    import_id: int | None = None
    quarantine_path: Path | None = None

    @property
    def quarantined_rows(self) -> int:
        return len({(p.file, p.row) for p in self.problems})


class ImportRefused(DataError):
    """Rows failed their checks and ``accept_valid`` was not given: nothing was imported."""

    def __init__(self, path: Path, problems: list[Problem], report_path: Path | None) -> None:
        self.problems = problems
        first = problems[0]
        rows = sorted({p.row for p in problems if p.file == first.file})
        shown = "; ".join(str(p).split(": ", 1)[1] for p in problems[:3])
        hint = "Nothing was imported. Fix the rows"
        if report_path:
            hint += f" listed in {report_path}"
        hint += ", or import the valid rows only with --accept-valid"
        super().__init__(path, f"{len({(p.file, p.row) for p in problems})} row(s) failed checks ({shown})",
                         column=first.field, rows=rows, hint=hint)


def checksum(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + b"\0")
        with p.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _looks_binary(raw: bytes) -> bool:
    """NUL bytes, or many control characters, in the first 64 KB: not a text CSV file."""
    head = raw[:65536]
    if b"\0" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls > max(8, len(head) // 100)


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(path, "the file is empty", hint="Export the dataset again, with its header row")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if _looks_binary(raw):
        raise DataError(path, "is not a text CSV file (it holds binary data)",
                        hint="Export the dataset as CSV (comma-separated text, UTF-8) and import it again")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Find the row and field holding the bytes that are not UTF-8 (e.g. a Windows-1252 "é" or "£").
        text = raw.decode("utf-8", errors="surrogateescape")
        reader = csv.reader(io.StringIO(text))
        header = next(reader, [])
        for i, row in enumerate(reader, start=1):
            for name, value in zip(header, row, strict=False):
                if any("\udc80" <= ch <= "\udcff" for ch in value):
                    raise DataError(
                        path, "text is not UTF-8 (mixed encodings)", column=name, rows=[i],
                        hint="Save the file as UTF-8 (in Excel: CSV UTF-8) and import it again",
                    ) from None
        raise DataError(path, "the header is not UTF-8 text", hint="Save the file as UTF-8") from None
    del raw
    return _parse_csv_text(path, text)


def _parse_csv_text(path: Path, text: str) -> pd.DataFrame:
    """Parse with the standard library's strict reader, refusing oversized headers, rows and cells at once.

    A cell may not exceed ``MAX_CELL_CHARS`` (an unterminated quote swallows the rest of the file into one
    cell, so it is caught here too), a header may not have more than ``MAX_COLUMNS`` columns and a row may
    not have more cells than the header: each stops the import with the file and row named.
    """
    first_line = text[: text.find("\n") if "\n" in text else len(text)]
    if first_line.count(",") >= MAX_COLUMNS:
        raise DataError(path, f"the header has more than {MAX_COLUMNS:,} columns",
                        hint="Check that this is the dataset's export, with one header row")
    previous_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL_CHARS)
    rows: list[list[str]] = []
    in_header = True
    try:
        reader = csv.reader(io.StringIO(text), strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise DataError(path, "the file is empty") from None
        in_header = False
        width = len(header)
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) > width:
                raise DataError(path, f"row has {len(row):,} cells but the header has {width:,} columns",
                                rows=[len(rows) + 1], hint="Check for unquoted commas in this row")
            if len(row) < width:
                row = row + [""] * (width - len(row))
            rows.append(row)
    except csv.Error as exc:
        message = str(exc)
        if "field larger than field limit" in message:
            problem = (f"a cell is longer than {MAX_CELL_CHARS:,} characters (often a quote that is "
                       "never closed)")
        elif "unexpected end of data" in message:
            problem = "a quoted cell is never closed (the file ends inside quotes)"
        else:
            problem = f"is not valid CSV ({message})"
        if in_header:
            problem = "the header: " + problem
        raise DataError(path, problem, rows=None if in_header else [len(rows) + 1],
                        hint="Check the quotes in that row, or export the dataset again") from None
    finally:
        csv.field_size_limit(previous_limit)
    return pd.DataFrame(rows, columns=[str(c) for c in header], dtype=str)


def read_table(path: Path) -> pd.DataFrame:
    """Every cell as text (empty string when blank); column names trimmed and lower case."""
    if not path.is_file():
        raise DataError(path, "file not found")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(path, f"cannot read {suffix or 'files without an extension'}",
                        hint=f"Use one of: {', '.join(SUFFIXES)}")
    if path.stat().st_size == 0:
        raise DataError(path, "the file is empty", hint="Export the dataset again, with its header row")
    if suffix == ".csv":
        frame = _read_csv(path)
    elif suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:
            raise DataError(path, f"is not a readable Parquet file ({exc.__class__.__name__})") from None
    else:
        try:
            frame = pd.read_excel(path, dtype=object, sheet_name=0)
        except Exception as exc:
            raise DataError(path, f"is not a readable Excel workbook ({exc.__class__.__name__})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if len(frame.columns) > MAX_COLUMNS:
        raise DataError(path, f"the header has more than {MAX_COLUMNS:,} columns")
    if frame.empty:
        raise DataError(path, "the file has a header but no rows")
    return frame.apply(_as_text)


def _as_text(col: pd.Series) -> pd.Series:
    def one(v: Any) -> str:
        if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
            return ""
        if isinstance(v, pd.Timestamp | dt.datetime):
            return v.date().isoformat()
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    return col.map(one)


def _check_columns(path: Path, frame: pd.DataFrame, required: list[str], all_names: list[str]) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(
            path, f"missing required column(s) {', '.join(repr(c) for c in missing)}", column=missing[0],
            hint=f"The file's columns are {', '.join(repr(c) for c in list(frame.columns)[:15])}; "
                 f"the schema's are {', '.join(all_names)}",
        )


def _checked_rows(path: Path, frame: pd.DataFrame, fields: Iterable[Any], today: dt.date
                  ) -> Iterator[tuple[int, dict[str, Any], list[Problem]]]:
    """Each row's checked values (row numbers from 1) with the problems found in them, field by field."""
    present = [f for f in fields if f.name in frame.columns]
    columns = {f.name: frame[f.name].tolist() for f in present}
    for i in range(len(frame)):
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for f in present:
            value, problem = check_value(f, columns[f.name][i], today=today)
            if problem:
                problems.append(Problem(str(path), i + 1, f.name, problem))
            values[f.name] = value
        yield i + 1, values, problems


def _validate_records(path: Path, frame: pd.DataFrame, schema: SourceSchema, today: dt.date
                      ) -> tuple[list[dict[str, Any]], list[Problem]]:
    problems: list[Problem] = []
    good: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for row_no, values, row_problems in _checked_rows(path, frame, schema.fields, today):
        rid = values.get("record_id")
        if rid:
            if rid in seen:
                row_problems.append(Problem(str(path), row_no, "record_id",
                                            f"record id {rid!r} is repeated (first on row {seen[rid]})"))
            else:
                seen[rid] = row_no
        if row_problems:
            problems.extend(row_problems)
        else:
            values["_row"] = row_no
            good.append(values)
    return good, problems


def _validate_history(path: Path, frame: pd.DataFrame, schema: SourceSchema, known_ids: set[str],
                      today: dt.date) -> tuple[list[dict[str, Any]], list[Problem]]:
    problems: list[Problem] = []
    good: list[dict[str, Any]] = []
    seen: set[tuple[str, dt.date]] = set()
    for row_no, values, row_problems in _checked_rows(path, frame, schema.history_fields, today):
        rid, day = values.get("record_id"), values.get("event_date")
        if rid and rid not in known_ids:
            row_problems.append(Problem(str(path), row_no, "record_id",
                                        f"no record {rid!r} in the records file or earlier imports"))
        if isinstance(day, dt.date) and day > today:
            row_problems.append(Problem(str(path), row_no, "event_date", f"{day} is in the future"))
        if rid and isinstance(day, dt.date):
            if (rid, day) in seen:
                row_problems.append(Problem(str(path), row_no, "event_date",
                                            f"a second row for record {rid!r} on {day}"))
            seen.add((rid, day))
        if row_problems:
            problems.extend(row_problems)
        else:
            values["_row"] = row_no
            good.append(values)
    return good, problems


def write_quarantine(problems: list[Problem], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file", "row", "field", "problem"])
        for p in problems:
            w.writerow([p.file, p.row, p.field, p.message])
    return path


def import_dataset(
    session: Session,
    organisation_id: int,
    dataset: str,
    path: Path,
    history_path: Path | None = None,
    *,
    accept_valid: bool = False,
    quarantine_path: Path | None = None,
    user_id: int | None = None,
    today: dt.date | None = None,
    channel: str = "command line",
) -> ImportReport:
    """Check and import one dataset's records (and history) in the caller's transaction."""
    schema = get_schema(dataset)
    today = today or dt.date.today()
    report = ImportReport(dataset, str(path))
    files = [path] + ([history_path] if history_path else [])
    for p in files:
        if not p.is_file():
            raise DataError(p, "file not found")
    digest = checksum(files)
    existing = session.execute(
        select(ImportBatch.id).where(ImportBatch.organisation_id == organisation_id,
                                     ImportBatch.dataset == dataset, ImportBatch.checksum == digest)
    ).scalar()
    if existing is not None:
        report.already_imported = True
        report.import_id = existing
        return report

    frame = read_table(path)
    report.rows = len(frame)
    _check_columns(path, frame, schema.required, [f.name for f in schema.fields])
    good, problems = _validate_records(path, frame, schema, today)

    known = set(session.execute(
        select(SourceRecord.record_id).where(SourceRecord.organisation_id == organisation_id,
                                             SourceRecord.dataset == dataset)
    ).scalars())
    file_ids = {r["record_id"] for r in good}
    history: list[dict[str, Any]] = []
    if history_path is not None:
        if not schema.measures:
            raise DataError(history_path, f"the {schema.title.lower()} dataset has no history file",
                            hint="Import the records file on its own")
        hframe = read_table(history_path)
        _check_columns(history_path, hframe, ["record_id", "event_date"],
                       [f.name for f in schema.history_fields])
        quarantined_ids = {str(frame["record_id"].iloc[p.row - 1]) for p in problems if p.file == str(path)}
        history, hproblems = _validate_history(history_path, hframe, schema, known | file_ids | quarantined_ids,
                                               today)
        problems.extend(hproblems)
        if accept_valid:
            # History of a quarantined record (including a record id repeated further down the records
            # file) is not imported either: list each such row so that nothing is dropped unreported.
            first_bad: dict[str, int] = {}
            for prob in problems:
                if prob.file == str(path):
                    first_bad.setdefault(str(frame["record_id"].iloc[prob.row - 1]), prob.row)
            kept = []
            for h in history:
                rid = h["record_id"]
                if rid in quarantined_ids:
                    problems.append(Problem(
                        str(history_path), h["_row"], "record_id",
                        f"not imported: record {rid!r} was quarantined (records file row {first_bad[rid]})"))
                else:
                    kept.append(h)
            history = kept

    report.problems = problems
    if problems:
        report.quarantine_path = write_quarantine(
            problems, quarantine_path or path.with_name(path.stem + ".quarantine.csv")
        )
        if not accept_valid:
            raise ImportRefused(path, problems, report.quarantine_path)

    synthetic = bool(good) and all(str(r.get("synthetic") or "").upper() == "SYNTHETIC" for r in good)
    batch = ImportBatch(
        organisation_id=organisation_id, dataset=dataset, schema_version=schema.version, filename=path.name,
        history_filename=history_path.name if history_path else None, checksum=digest, rows=len(frame),
        synthetic=synthetic, imported_by_id=user_id,
    )
    session.add(batch)
    session.flush()
    report.import_id = batch.id

    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    for r in good:
        attrs = {
            f.name: (r[f.name].isoformat() if isinstance(r[f.name], dt.date) else r[f.name])
            for f in schema.fields
            if f.name in r and f.name not in DIRECT_COLUMNS and f.name not in ("record_id", "synthetic")
            and r[f.name] is not None
        }
        row = {
            "organisation_id": organisation_id, "dataset": dataset, "record_id": r["record_id"],
            "import_id": batch.id, "attributes": attrs, "updated_at": now,
            "synthetic": str(r.get("synthetic") or "").upper() == "SYNTHETIC",
            **{c: r.get(c) for c in DIRECT_COLUMNS},
        }
        if row["postcode"]:
            row["postcode"] = str(row["postcode"]).upper()
        (changed_rows if r["record_id"] in known else new_rows).append(row)
    if new_rows:
        session.execute(insert(SourceRecord), new_rows)
    for row in changed_rows:
        session.execute(
            update(SourceRecord)
            .where(SourceRecord.organisation_id == organisation_id, SourceRecord.dataset == dataset,
                   SourceRecord.record_id == row["record_id"])
            .values(**{k: v for k, v in row.items() if k not in ("organisation_id", "dataset", "record_id")})
        )
    report.imported, report.updated = len(new_rows), len(changed_rows)

    ids = dict(session.execute(
        select(SourceRecord.record_id, SourceRecord.id).where(SourceRecord.organisation_id == organisation_id,
                                                             SourceRecord.dataset == dataset)
    ).all())
    events: list[dict[str, Any]] = []
    for h in history:
        for m in schema.measures:
            v = h.get(m.name)
            if v is None:
                continue
            events.append({
                "organisation_id": organisation_id, "source_record_id": ids[h["record_id"]], "dataset": dataset,
                "measure": m.name, "event_date": h["event_date"],
                "value_num": float(v) if m.type != "string" else None,
                "value_text": str(v) if m.type == "string" else None,
            })
    if schema.record_event_date:
        for r in good:
            day = r.get(schema.record_event_date)
            if not isinstance(day, dt.date):
                continue
            for name in schema.record_event_measures:
                if r.get(name) is not None:
                    events.append({
                        "organisation_id": organisation_id, "source_record_id": ids[r["record_id"]],
                        "dataset": dataset, "measure": name, "event_date": day, "value_num": None,
                        "value_text": str(r[name]),
                    })
    if events:
        touched = {e["source_record_id"] for e in events}
        have: set[tuple[int, str, dt.date]] = set()
        if changed_rows:
            for chunk in _chunks(sorted(touched), 900):
                have.update(session.execute(
                    select(RecordEvent.source_record_id, RecordEvent.measure, RecordEvent.event_date)
                    .where(RecordEvent.source_record_id.in_(chunk))
                ).all())
        events = [e for e in events if (e["source_record_id"], e["measure"], e["event_date"]) not in have]
        if events:
            session.execute(insert(RecordEvent), events)
    report.events = len(events)
    batch.events = len(events)
    analyze(session, SourceRecord.__tablename__, RecordEvent.__tablename__)
    audit.record(
        session, "support.data.import", actor=session.get(User, user_id) if user_id else None,
        organisation_id=organisation_id, object_type="import", object_id=batch.id,
        purpose="import a council dataset for linkage and early warning",
        detail={"dataset": dataset, "file": path.name,
                "history_file": history_path.name if history_path else None, "channel": channel,
                "rows": report.rows, "imported": report.imported, "updated": report.updated,
                "events": report.events, "quarantined_rows": report.quarantined_rows},
    )
    return report


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
