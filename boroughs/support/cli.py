"""``boroughs support``: the support area's commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from boroughs.core.errors import BoroughsError
from boroughs.support.directory import cli as directory_cli
from boroughs.support.referrals import cli as referral_cli

app = typer.Typer(help="The support area.", no_args_is_help=True)
console = Console(stderr=True)


def _fail(exc: Exception) -> None:
    console.print(f"[red]Error:[/red] {exc}")
    raise typer.Exit(code=2)


@app.command()
def synth(
    residents: int = typer.Option(..., "--residents", help="How many synthetic residents to make."),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same files."),
    out: Path = typer.Option(..., "--out", help="Folder to write the SYNTHETIC_*.csv files to."),
    borough: str = typer.Option("E09000025", "--borough", help="ONS code of the borough to place homes in."),
    as_of: str = typer.Option("2026-09-30", "--as-of", help="The date histories end (YYYY-MM-DD)."),
    history: bool = typer.Option(True, "--history/--no-history", help="Write monthly histories."),
    mode: str = typer.Option("borough", "--mode",
                             help="borough (default: every source dataset, histories) or hard (a harder "
                                  "population for testing linkage, independent of the linker's name tables)."),
) -> None:
    """Write a SYNTHETIC borough: one file per source dataset, histories, and the ground truth apart."""
    from boroughs.support.synth.population import synthesise

    if mode not in ("borough", "hard"):
        _fail(ValueError(f"--mode {mode!r}: use borough or hard"))
    if mode == "hard":
        from boroughs.support.synth.hard import synthesise_hard

        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                      TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("Making synthetic residents (hard cases)", total=residents)
            try:
                hard = synthesise_hard(residents, seed, out, progress=lambda n: progress.advance(task, n))
            except ValueError as exc:
                _fail(exc)
                return
        console.print(f"Wrote {hard.residents:,} SYNTHETIC residents in {hard.households:,} households, "
                      f"{hard.records:,} records, to {out}")
        for key, n in hard.cases.items():
            console.print(f"  people with hard case {key}: {n:,}")
        return

    try:
        as_of_date = dt.date.fromisoformat(as_of)
    except ValueError:
        _fail(ValueError(f"--as-of {as_of!r} is not a date (use YYYY-MM-DD)"))
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("Making synthetic residents", total=residents)
        try:
            result = synthesise(residents, seed, out, borough=borough, as_of=as_of_date, history=history,
                                progress=lambda n: progress.advance(task, n))
        except (BoroughsError, ValueError) as exc:
            _fail(exc)
            return
    console.print(f"Wrote {result.residents:,} SYNTHETIC residents in {result.households:,} households, "
                  f"{result.total_records:,} records, to {out}")
    for key, n in result.records.items():
        console.print(f"  {key}: {n:,}")


@app.command()
def link(
    inputs: list[Path] = typer.Option(..., "--input", help="A CSV in the canonical person schema (repeatable)."),
    out: Path = typer.Option(..., "--out", help="Folder for clusters.csv, pairs.csv, model.json, evaluation.json."),
    backend: str = typer.Option("duckdb", "--backend", help="duckdb (default) or spark."),
    threshold: float = typer.Option(0.9, "--threshold", help="Match probability at or above which pairs link."),
    seed: int = typer.Option(42, "--seed", help="Seed for sampling during training."),
    model: Path | None = typer.Option(None, "--model", help="Use this saved model.json instead of training."),
    one_per_person: list[str] = typer.Option(
        [], "--one-per-person",
        help="A source that lists each person once, such as an electoral register: two of its entries are never "
             "put in one resident (repeatable)."),
    adults_only: list[str] = typer.Option(
        [], "--adults-only",
        help="A source that holds adults only, such as an electoral register or council tax: its records are never "
             "put with a record whose date of birth is a child's (repeatable)."),
) -> None:
    """Link records within and across sources into residents (trains on the input; no labels needed)."""
    from boroughs.support.linkage.prepare import read_canonical
    from boroughs.support.linkage.service import link_records, write_outputs

    if not 0 < threshold < 1:
        _fail(ValueError("--threshold must be between 0 and 1"))
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("Reading records", total=None)
        try:
            frame = read_canonical(inputs)
            result = link_records(frame, backend=backend, threshold=threshold, seed=seed, model=model,
                                  retain_explanations=False, one_per_person=one_per_person, adults_only=adults_only,
                                  on_step=lambda s: progress.update(task, description=s))
            progress.update(task, description="Writing results")
            write_outputs(result, out, threshold=threshold)
        except (BoroughsError, ValueError) as exc:
            _fail(exc)
            return
    ev = result.evaluation
    console.print(f"Linked {ev['records']:,} records from {len(ev['sources'])} source(s) into "
                  f"{ev['residents']:,} residents; {ev['pairs_in_review_band']:,} pairs need review. "
                  f"Results in {out}")
    exp = ev.get("expected") or {}
    if exp:
        console.print(f"At threshold {threshold:g} the model expects {exp['expected_false_matches']:,.1f} of "
                      f"{exp['linked_pairs']:,} linked pairs to be two different people (expected precision "
                      f"{exp['expected_precision']:.4f}; its own estimate: see docs/support/linkage.md for "
                      "measured error rates).")


def _council_id(session: object, code: str) -> int:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from boroughs.core.models import Organisation

    assert isinstance(session, Session)
    org = session.execute(select(Organisation).where(Organisation.ons_code == code)).scalar()
    if org is None or org.kind != "council":
        raise BoroughsError(f"no council with ONS code {code!r}: add the organisation first (boroughs admin)")
    return org.id


@app.command("import")
def import_cmd(
    dataset: str = typer.Argument(..., help="Dataset key: council_tax, rent, hb_ctr, fsm, asc_contact, "
                                            "homelessness or vcs_concern."),
    path: Path = typer.Argument(..., help="The records file (.csv, .parquet or .xlsx)."),
    council: str = typer.Option(..., "--council", help="ONS code of the council that owns the data."),
    history: Path | None = typer.Option(None, "--history", help="The dataset's history file, if any."),
    accept_valid: bool = typer.Option(False, "--accept-valid",
                                      help="Import the valid rows and leave failing rows in the quarantine report."),
    quarantine: Path | None = typer.Option(None, "--quarantine", help="Where to write the quarantine report."),
) -> None:
    """Check and import a council dataset: whole or not at all; the same file twice is a no-op."""
    from boroughs.core.db import session_scope
    from boroughs.support.records.ingest import import_dataset

    try:
        with session_scope() as session:
            report = import_dataset(session, _council_id(session, council), dataset, path, history,
                                    accept_valid=accept_valid, quarantine_path=quarantine)
    except (BoroughsError, KeyError) as exc:
        _audit_refused_import(council, dataset, path, exc)
        _fail(exc)
        return
    if report.already_imported:
        console.print(f"{path} was already imported (import {report.import_id}); nothing changed.")
        return
    console.print(f"Imported {report.imported:,} new and {report.updated:,} updated {dataset} records "
                  f"with {report.events:,} dated values from {path}.")
    if report.problems:
        console.print(f"[yellow]{report.quarantined_rows:,} row(s) quarantined[/yellow]: see {report.quarantine_path}")


def _audit_refused_import(council: str, dataset: str, path: Path, exc: Exception) -> None:
    """A refused command-line import is audited too (in its own transaction: the import's was rolled back)."""
    from boroughs.core import audit
    from boroughs.core.db import session_scope

    try:
        with session_scope() as session:
            org_id = _council_id(session, council)
            audit.record(session, "support.data.import_refused", organisation_id=org_id, object_type="import",
                         purpose="import a council dataset for linkage and early warning",
                         detail={"dataset": dataset, "file": path.name, "channel": "command line",
                                 "error": str(exc)[:500]})
    except Exception:
        return


@app.command("link-council")
def link_council_cmd(
    council: str = typer.Option(..., "--council", help="ONS code of the council."),
    retrain: bool = typer.Option(False, "--retrain", help="Train a new model instead of reusing the last one."),
    threshold: float = typer.Option(0.9, "--threshold", help="Match probability at or above which pairs link."),
    backend: str = typer.Option("duckdb", "--backend", help="duckdb (default) or spark."),
) -> None:
    """Link the council's imported records into residents, honouring every review decision."""
    from boroughs.core.db import session_scope
    from boroughs.support.linkage.residents import link_council

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as p:
        p.add_task("Linking records into residents", total=None)
        try:
            with session_scope() as session:
                run = link_council(session, _council_id(session, council), threshold=threshold, backend=backend,
                                   retrain=retrain)
                summary = (run.id, run.records, run.residents, run.evaluation.get("pairs_in_review_band", 0))
        except BoroughsError as exc:
            _fail(exc)
            return
    console.print(f"Link run {summary[0]}: {summary[1]:,} records → {summary[2]:,} residents; "
                  f"{summary[3]:,} pairs in the review band.")


@app.command()
def flags(
    council: str = typer.Option(..., "--council", help="The council's ONS code (E09000025) or slug (newham)."),
    out: Path = typer.Option(..., "--out", help="Folder to write flags.csv to."),
    as_of: str | None = typer.Option(None, "--as-of", help="Evaluate as on this date (YYYY-MM-DD); default: latest records."),
    record: bool = typer.Option(True, "--record/--no-record",
                                help="Keep the run and open outreach cases (the nightly job); --no-record only writes the file."),
) -> None:
    """Evaluate the council's approved early-warning rules and write OUT/flags.csv (nightly batch use)."""
    from boroughs.support.rules.cli import flags_command

    try:
        when = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        _fail(ValueError(f"--as-of {as_of!r} is not a date (use YYYY-MM-DD)"))
        return
    try:
        message = flags_command(council, out, as_of=when, record=record)
    except (BoroughsError, ValueError) as exc:
        _fail(exc)
        return
    console.print(message)


DEFAULT_WORKFLOW_DOC = Path("docs/support/workflows.md")


@app.command("workflow-docs")
def workflow_docs(
    out: Path = typer.Option(DEFAULT_WORKFLOW_DOC, "--out", help="Where to write the generated page."),
    check: bool = typer.Option(False, "--check", help="Fail if the page is out of date; write nothing."),
) -> None:
    """Generate the referral, rule-set and outreach workflow diagrams (Mermaid) and tables from their definitions."""
    from boroughs.core.workflow import to_markdown
    from boroughs.support.workflows import SOURCES, WORKFLOWS

    text = to_markdown(WORKFLOWS, "Support workflows", "boroughs support workflow-docs", SOURCES) + "\n"
    if check:
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            console.print(f"{out} is out of date: run `boroughs support workflow-docs`.")
            raise typer.Exit(1)
        Console().print(f"{out} is up to date.")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    Console().print(f"Wrote {out}.")


app.add_typer(directory_cli.app, name="directory")
app.add_typer(referral_cli.app, name="referrals")
app.command("sar")(referral_cli.sar)


@app.command()
def entitlements(
    council: str = typer.Option(..., "--council", help="The council's ONS code (E09000025) or slug (newham)."),
    out: Path = typer.Option(..., "--out", help="Folder to write entitlements.csv to."),
    as_of: str | None = typer.Option(None, "--as-of", help="Estimate with the rates in force on this date (YYYY-MM-DD); default: today."),
) -> None:
    """Write OUT/entitlements.csv: residents likely missing out on Pension Credit, Housing Benefit or Council Tax
    Reduction, with amounts and reasons."""
    from boroughs.support.entitlements.service import entitlements_command

    try:
        when = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        _fail(ValueError(f"--as-of {as_of!r} is not a date (use YYYY-MM-DD)"))
        return
    try:
        message = entitlements_command(council, out, as_of=when)
    except (BoroughsError, ValueError, KeyError) as exc:
        _fail(exc)
        return
    console.print(message)
