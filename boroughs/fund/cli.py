"""``boroughs fund``: the fund area's commands (open grants data, publishing, workflow docs)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from boroughs.core.db import session_scope
from boroughs.core.errors import BoroughsError

app = typer.Typer(help="The collaborative fund: open grants data, publishing and workflow docs.",
                  no_args_is_help=True)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DEFAULT_WORKFLOW_DOC = Path("docs/fund/workflows.md")


def _fail(exc: Exception) -> None:
    err.print(f"[red]{exc}[/red]")
    raise typer.Exit(1)


@app.command("export-360giving")
def export_360giving(
    out: Annotated[Path, typer.Option("--out", help="Where to write the 360Giving JSON package.")],
    call: Annotated[str | None, typer.Option(help="Only this call (its short name).")] = None,
    base_url: Annotated[str | None, typer.Option(help="This deployment's address, for each grant's url.")] = None,
    include_demo: Annotated[bool, typer.Option("--include-demo/--no-demo",
                                               help="Include demo calls (the 2021 round).")] = True,
) -> None:
    """Write every award as a 360Giving 1.4.3 package, validated against the official schema."""
    from boroughs.fund.opendata.giving360 import write_export

    try:
        with session_scope() as db:
            result = write_export(db, out, call_slug=call, base_url=base_url, include_demo=include_demo)
    except BoroughsError as exc:
        _fail(exc)
    console.print(f"Wrote {result.grants} grants to {result.path}; it validates against 360Giving 1.4.3.")


@app.command("validate-360giving")
def validate_360giving(
    file: Annotated[Path, typer.Argument(help="A 360Giving JSON package.")],
) -> None:
    """Check a 360Giving JSON package against the official 1.4.3 schema, with format checking."""
    from boroughs.fund.opendata.giving360 import read_package, validate

    try:
        data = read_package(file)
    except BoroughsError as exc:
        _fail(exc)
    errors = validate(data)
    if errors:
        for e in errors[:50]:
            err.print(f"{file}: {e}")
        if len(errors) > 50:
            err.print(f"... and {len(errors) - 50} more")
        raise typer.Exit(1)
    console.print(f"{file}: valid 360Giving 1.4.3 package ({len(data['grants'])} grants).")


@app.command("import-360giving")
def import_360giving(
    file: Annotated[Path, typer.Argument(help="A published 360Giving JSON package.")],
    source: Annotated[str | None, typer.Option(help="A name for this data set (default: the file name).")] = None,
) -> None:
    """Import another funder's published 360Giving data, to see their grants beside the fund's own."""
    from boroughs.fund.opendata.giving360 import import_package

    try:
        with session_scope() as db:
            result = import_package(db, file, source=source)
    except BoroughsError as exc:
        _fail(exc)
    console.print(f"Imported {result.grants} grants from {', '.join(result.funders)} as '{result.source}'"
                  + (f" (replacing {result.replaced})." if result.replaced else "."))


@app.command("publish")
def publish(
    file: Annotated[list[Path], typer.Option("--file", help="A file to publish (repeat for more).")],
    dataset: Annotated[str, typer.Option(help="The dataset's short name, e.g. fund-grants.")],
    title: Annotated[str, typer.Option(help="The dataset's title.")],
    backend: Annotated[str, typer.Option(help="ckan, datapress or local.")] = "local",
    description: Annotated[str, typer.Option(help="The dataset's description.")] = "",
    url: Annotated[str | None, typer.Option(help="The catalogue's address (ckan, datapress).")] = None,
    api_key_env: Annotated[str | None, typer.Option(
        help="The name of the environment variable holding the API key (never the key itself).")] = None,
    dataset_id: Annotated[str | None, typer.Option(help="DataPress: the existing dataset's id.")] = None,
    folder: Annotated[Path | None, typer.Option(help="local: the folder to publish into.")] = None,
    organisation: Annotated[str | None, typer.Option(help="CKAN: the owning organisation's name.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would happen; change nothing.")] = False,
) -> None:
    """Publish files as a dataset to CKAN, DataPress (London Datastore) or a local folder."""
    from boroughs.fund.opendata.publishing import DatasetPackage, make_publisher

    try:
        key = os.environ.get(api_key_env) if api_key_env else None
        if api_key_env and not key:
            raise BoroughsError(f"The environment variable {api_key_env} is not set.")
        pub = make_publisher(backend, url=url, api_key=key, dataset_id=dataset_id, root=folder)
        pkg = DatasetPackage(slug=dataset, title=title, description=description, files=tuple(file),
                             organisation=organisation, tags=("grants", "360giving"))
        result = pub.publish(pkg, dry_run=dry_run)
    except BoroughsError as exc:
        _fail(exc)
    console.print(result.summary())


@app.command("workflow-docs")
def workflow_docs(
    out: Annotated[Path, typer.Option(help="Where to write the generated page.")] = DEFAULT_WORKFLOW_DOC,
    check: Annotated[bool, typer.Option("--check", help="Fail if the page is out of date; write nothing.")] = False,
) -> None:
    """Generate the workflow diagrams (Mermaid) and tables from the workflow definitions."""
    from boroughs.core.workflow import to_markdown
    from boroughs.fund.workflows import WORKFLOWS

    text = to_markdown(WORKFLOWS, "Fund workflows", "boroughs fund workflow-docs",
                       "boroughs/fund/workflows.py") + "\n"
    if check:
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            err.print(f"{out} is out of date: run `boroughs fund workflow-docs`.")
            raise typer.Exit(1)
        console.print(f"{out} is up to date.")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    console.print(f"Wrote {out}.")


@app.command("calls")
def list_calls(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the calls with their strands, budgets and what is already awarded."""
    from boroughs.fund import calls as calls_service
    from boroughs.fund._common import gbp

    with session_scope() as db:
        rows: list[dict[str, Any]] = []
        for c in calls_service.list_calls(db):
            rows.append({
                "slug": c.slug, "title": c.title, "phase": c.phase, "total_budget": c.total_budget,
                "strands": [{"slug": s.slug, "title": s.title, "budget": s.budget, "award_limit": s.award_limit,
                             "awarded": calls_service.committed(db, s)} for s in c.strands],
            })
    if as_json:
        console.print_json(json.dumps(rows))
        return
    if not rows:
        console.print("No calls yet.")
    for r in rows:
        console.print(f"[bold]{r['title']}[/bold] ({r['slug']}), {r['phase']}, {gbp(r['total_budget'])}")
        for s in r["strands"]:
            console.print(f"  {s['title']}: {gbp(s['awarded'])} of {gbp(s['budget'])} awarded "
                          f"(award limit {gbp(s['award_limit'])})")


@app.command("remind-reports")
def remind_reports(
    days: Annotated[int | None, typer.Option(help="Remind this many days before a report is due "
                                                  "(default BOROUGHS_REPORT_DUE_DAYS)")] = None,
) -> None:
    """Queue emails for progress reports due soon and overdue (once each); run it daily."""
    from boroughs.core.migrate import upgrade
    from boroughs.fund.messages import remind_reports as remind

    upgrade()
    with session_scope() as db:
        counts = remind(db, days_ahead=days)
    console.print(f"Queued {counts['due']} reminder(s) of reports due and {counts['overdue']} of reports overdue. "
                  "`boroughs notify run` sends them.")
