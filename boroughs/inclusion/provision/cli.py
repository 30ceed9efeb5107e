"""``boroughs inclusion provision ...`` (sites in and out of the database) and ``boroughs inclusion gaps``."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from boroughs.core.errors import BoroughsError

app = typer.Typer(help="Digital support sites (provision): import, list and remove.", no_args_is_help=True)
console = Console(stderr=True)

COUNCIL = typer.Option(..., "--council", help="The council that owns the sites: its slug (newham) or ONS code.")
REPORT = typer.Option(None, "--report", help="Write every fault (row, field, value, problem) to this CSV file.")
KIND = typer.Option(None, "--kind", help="Give every site this kind (for a feed that is all one kind of support).")


def _fail(exc: Exception, report: Path | None = None) -> None:
    from boroughs.inclusion.provision.importer import ImportFailed

    if isinstance(exc, ImportFailed):
        console.print(f"[red]Error:[/red] {exc.path}: nothing was imported; {len(exc.faults)} fault(s):",
                      highlight=False, soft_wrap=True)
        for f in exc.faults[:30]:
            console.print(f"  row {f.row}, {f.field}: {f.problem}" + (f" ({f.value!r})" if f.value else ""),
                          highlight=False, soft_wrap=True)
        if len(exc.faults) > 30:
            console.print(f"  … and {len(exc.faults) - 30} more", highlight=False)
        if report is not None:
            write_report(report, exc.faults)
            console.print(f"Every fault is listed in {report}", highlight=False)
    else:
        console.print(f"[red]Error:[/red] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(1) from exc


def write_report(path: Path, faults: Sequence[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["row", "field", "value", "problem"])
        w.writeheader()
        for f in faults:
            w.writerow(f.as_dict())


@app.command("import")
def import_cmd(
    path: Path = typer.Argument(..., help="A provision CSV, or an Open Referral UK JSON feed or export."),
    council: str = COUNCIL,
    source: str = typer.Option("", "--source", help="The source's name (default: the file name). Re-importing "
                                                    "a source replaces this council's rows from it."),
    kind: str | None = KIND,
    report: Path | None = REPORT,
    example: bool = typer.Option(False, "--example", help="Label the sites as examples (demo deployments)."),
) -> None:
    """Import sites for a council, whole or not at all (every bad row is named with its field)."""
    from boroughs.core.db import session_scope
    from boroughs.inclusion.provision import importer

    try:
        with session_scope() as db:
            org = importer.council(db, council)
            result = importer.import_file(db, path, org, source=source or None, kind=kind, example=example)
            org_name = org.name
    except (BoroughsError, ValueError) as exc:
        _fail(exc, report)
        return
    console.print(f"Imported {result.imported:,} sites for {org_name} from {result.source} "
                  f"({result.source_kind}; {result.read:,} records read, {result.replaced:,} earlier rows from "
                  f"this source replaced, {len(result.skipped):,} skipped).", highlight=False, soft_wrap=True)
    for row, name, why in result.skipped[:20]:
        console.print(f"  skipped {row} {name!r}: {why}", highlight=False, soft_wrap=True)


@app.command("list")
def list_cmd(council: str = typer.Option("", "--council", help="Only this council's sites.")) -> None:
    """List the sites held, by council, source and kind."""
    from sqlalchemy import func, select

    from boroughs.core.db import session_scope
    from boroughs.core.models import Organisation
    from boroughs.inclusion.provision import importer
    from boroughs.inclusion.provision.models import KINDS, Provision

    try:
        with session_scope() as db:
            query = (select(Organisation.name, Provision.source, Provision.kind, func.count(Provision.id))
                     .join(Organisation, Organisation.id == Provision.organisation_id)
                     .group_by(Organisation.name, Provision.source, Provision.kind)
                     .order_by(Organisation.name, Provision.source, Provision.kind))
            if council:
                query = query.where(Provision.organisation_id == importer.council(db, council).id)
            rows = db.execute(query).all()
    except BoroughsError as exc:
        _fail(exc)
        return
    if not rows:
        typer.echo("No sites.")
    for org, src, kind, n in rows:
        typer.echo(f"{org}\t{src}\t{KINDS.get(kind, kind)}\t{n}")


@app.command("clear")
def clear_cmd(council: str = COUNCIL,
              source: str = typer.Option("", "--source", help="Only the rows from this source.")) -> None:
    """Remove a council's sites (all of them, or one source's)."""
    from boroughs.core.db import session_scope
    from boroughs.inclusion.provision import importer

    try:
        with session_scope() as db:
            n = importer.clear(db, importer.council(db, council), source=source or None)
    except BoroughsError as exc:
        _fail(exc)
        return
    console.print(f"Removed {n:,} sites.", highlight=False)


def gaps_cmd(
    services: Path = typer.Option(..., "--services", help="Provision: a CSV or an Open Referral UK JSON file."),
    out: Path = typer.Option(..., "--out", help="Folder to write gaps.csv (and reach.csv) into."),
    index_dir: Path | None = typer.Option(None, "--index", help="A built index (default: BOROUGHS_OUT_DIR; "
                                                                "built there first if missing)."),
    when: str = typer.Option("any", "--when", help="Count only sites open: any, evenings, weekends or "
                                                   "evenings_or_weekends."),
    kind: str | None = KIND,
    report: Path | None = REPORT,
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Folder with the open data (default: "
                                                                  "BOROUGHS_DATA_DIR)."),
) -> None:
    """Write OUT/gaps.csv: one row per LSOA with score, residents likely offline, the nearest site, the sites
    within walking distance and the gap (need against provision), ranked."""
    from boroughs.config import get_settings
    from boroughs.inclusion.map.loading import get_index, index_available
    from boroughs.inclusion.provision import gaps, importer, reach

    settings = get_settings()
    data = data_dir or settings.data_dir
    index_at = Path(index_dir or settings.out_dir)
    try:
        if when not in reach.WHEN:
            raise BoroughsError(f"--when must be one of: {', '.join(reach.WHEN)}")
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                      transient=True) as progress:
            task = progress.add_task("Reading the provision", total=None)
            parsed = importer.read_file(services, kind=kind, data_dir=data)
            if parsed.faults:
                raise importer.ImportFailed(services, parsed.faults)
            if not index_available(index_at):
                progress.update(task, description=f"Building the index into {index_at}")
                from boroughs.inclusion.build.index import build

                build(data, index_at)
            progress.update(task, description="Reading the index")
            index = get_index(index_at, data)
            progress.update(task, description="Measuring reach")
            sites = reach.sites_from_parsed(parsed.sites)
            table = gaps.compute(index, reach.compute(list(index.frame["code"]), sites, when=when, data_dir=data))
            progress.update(task, description="Writing")
            out.mkdir(parents=True, exist_ok=True)
            _write_atomic(out / "gaps.csv", gaps.contract_frame(table))
            detail = table.drop(columns=["nearest_id"]).sort_values("gap_rank", kind="stable")
            _write_atomic(out / "reach.csv", detail)
    except (BoroughsError, ValueError) as exc:
        _fail(exc, report)
        return
    london = gaps.borough_summary(table)
    console.print(f"Wrote {len(table):,} areas to {out / 'gaps.csv'} ({len(parsed.sites):,} sites, {when}).",
                  highlight=False, soft_wrap=True)
    console.print(f"About {london['residents_offline_beyond_walk']:,.0f} of {london['residents_offline']:,.0f} "
                  f"residents likely offline live beyond {reach.WalkParams.from_settings().minutes:g} minutes' walk "
                  f"of any site ({london['areas_beyond_walk']:,} areas).", highlight=False, soft_wrap=True)


def _write_atomic(path: Path, frame: object) -> None:
    tmp = path.with_name(path.name + ".part")
    frame.to_csv(tmp, index=False, float_format="%.6g")  # type: ignore[attr-defined]
    tmp.replace(path)
