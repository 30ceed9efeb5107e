"""``boroughs support referrals``: scheduled jobs (reminders and returns, retention), partnership reports and
subject access exports."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy import select

from boroughs.core.errors import BoroughsError

app = typer.Typer(help="Referrals: reminders, retention, reports and subject access.", no_args_is_help=True)
console = Console(stderr=True)


def _fail(exc: Exception) -> None:
    console.print(f"[red]Error:[/red] {exc}")
    raise typer.Exit(code=2)


@app.command()
def remind() -> None:
    """Remind about referrals waiting past the service's promise; return unaccepted ones to the officer."""
    from boroughs.core.db import session_scope
    from boroughs.support.referrals.service import process_overdue

    with session_scope() as session:
        counts = process_overdue(session)
    console.print(f"Reminded {counts['reminded']:,}; returned {counts['returned']:,} to the referring officer.")


@app.command()
def retention(dry_run: bool = typer.Option(False, "--dry-run", help="List what would change; change nothing.")) -> None:
    """Delete or anonymise referral data past its retention period (per agreement), and log it."""
    from boroughs.core.db import session_scope
    from boroughs.support.governance.retention import run_retention

    with session_scope() as session:
        result = run_retention(session, dry_run=dry_run)
        if dry_run:
            session.rollback()
    verb = "Would anonymise" if dry_run else "Anonymised"
    console.print(f"{verb} {len(result.anonymised):,} and {'would delete' if dry_run else 'deleted'} "
                  f"{len(result.deleted):,} referrals.")


@app.command()
def report(
    org: str = typer.Option(..., "--org", help="Slug of the VCS organisation (or council) to report on."),
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    start: str = typer.Option("", "--from", help="Referrals sent on or after this date (YYYY-MM-DD)."),
    end: str = typer.Option("", "--to", help="Referrals sent on or before this date (YYYY-MM-DD)."),
) -> None:
    """Partnership report per service: received, accepted, time to first contact, outcomes."""
    from boroughs.core.db import session_scope
    from boroughs.core.models import Organisation, OrgKind
    from boroughs.support.referrals.service import partnership_report, report_csv

    try:
        s = dt.date.fromisoformat(start) if start else None
        e = dt.date.fromisoformat(end) if end else None
    except ValueError:
        _fail(ValueError("--from and --to take dates like 2026-04-01"))
        return
    with session_scope() as session:
        o = session.scalar(select(Organisation).where(Organisation.slug == org))
        if o is None:
            _fail(BoroughsError(f"no organisation with slug {org!r}"))
            return
        kw = {"vcs_org_id": o.id} if o.kind == OrgKind.VCS else {"council_id": o.id}
        rows = partnership_report(session, start=s, end=e, **kw)
    out.write_text(report_csv(rows), encoding="utf-8")
    console.print(f"Wrote {len(rows):,} services to {out}")


def sar(
    council: str = typer.Option(..., "--council", help="Council slug (newham) or ONS code (E09000025)."),
    resident: int = typer.Option(..., "--resident", help="The resident's number."),
    out: Path = typer.Option(..., "--out", help="JSON file to write."),
) -> None:
    """Subject access request: everything held on a resident, including who it was shared with."""
    from boroughs.core.db import session_scope
    from boroughs.core.models import Organisation
    from boroughs.support.governance.subject_access import subject_access_export

    try:
        with session_scope() as session:
            o = session.scalar(select(Organisation).where(
                (Organisation.slug == council) | (Organisation.ons_code == council)))
            if o is None:
                raise BoroughsError(f"no council {council!r}: give its slug (newham) or ONS code (E09000025)")
            doc = subject_access_export(session, o.id, resident)
    except BoroughsError as exc:
        _fail(exc)
        return
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    console.print(f"Wrote the subject access export for resident {resident} to {out}"
                  + (" (SYNTHETIC resident)" if doc["synthetic"] else ""))
