"""``boroughs support directory``: import and export Open Referral UK."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import typer
from rich.console import Console

from boroughs.core.csv_safety import safe_row
from boroughs.core.errors import BoroughsError

app = typer.Typer(help="The service directory (Open Referral UK).", no_args_is_help=True)
console = Console(stderr=True)


def _fail(exc: Exception) -> None:
    console.print(f"[red]Error:[/red] {exc}")
    raise typer.Exit(code=2)


@app.command("export-oruk")
def export_oruk(
    out: Path = typer.Option(..., "--out", help="File to write the ORUK 3.0 service_list page to."),
    check: bool = typer.Option(True, "--check/--no-check", help="Validate against the official schema."),
) -> None:
    """Write the whole directory as one Open Referral UK 3.0 service_list page (every service nested)."""
    from boroughs.core.db import session_scope
    from boroughs.support.directory.oruk import export as oruk_export
    from boroughs.support.directory.oruk import schema as oruk_schema

    try:
        with session_scope() as session:
            doc = oruk_export.export_service_list(session)
        if check:
            errors = oruk_schema.validation_errors(doc, "service_list")
            for s in doc["contents"]:
                errors += [f"service {s['id']}: {e}" for e in oruk_schema.validation_errors(s, "service", limit=5)]
            if errors:
                _fail(BoroughsError("the export does not validate against ORUK 3.0: " + "; ".join(errors[:10])))
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
        tmp.replace(out)
    except BoroughsError as exc:
        _fail(exc)
        return
    console.print(f"Wrote {doc['total_items']:,} services to {out}"
                  + (" (valid against the ORUK 3.0 service_list and service schemas)" if check else ""))


@app.command("import-oruk")
def import_oruk(
    path: Path = typer.Argument(..., help="An ORUK 3.0 JSON document or an ORUK 1.0 feed (JSON)."),
    source: str = typer.Option("", "--source", help="Name of the publisher (default: the file name)."),
    version: str = typer.Option("", "--version", help="1.0 or 3.0 (default: detected)."),
    report: Path | None = typer.Option(None, "--report", help="Write every fault to this CSV file."),
) -> None:
    """Import a feed, keeping every valid service and reporting each faulty record and field."""
    from boroughs.core.db import session_scope
    from boroughs.support.directory.oruk import importer as oruk_importer

    try:
        data = oruk_importer.read_json(path)
        with session_scope() as session:
            result = oruk_importer.import_oruk(session, data, source or path.stem, version or None)
    except (BoroughsError, ValueError) as exc:
        _fail(exc)
        return
    console.print(f"ORUK {result.version}: read {result.read:,} services, kept {result.kept:,} "
                  f"({result.created:,} new, {result.updated:,} updated), skipped {result.skipped:,}; "
                  f"{len(result.faults):,} faults in {result.faulty_records():,} records.")
    for key, n in list(result.summary().items())[:25]:
        console.print(f"  {n:>5,}  {key}")
    if report is not None:
        with report.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=["record", "name", "field", "value", "problem", "action"])
            w.writeheader()
            for f in result.faults:
                w.writerow(safe_row(f.as_dict()))
        console.print(f"Every fault is listed in {report}")
