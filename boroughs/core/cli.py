"""Core commands: ``boroughs data ...``, ``boroughs admin ...``, ``boroughs demo ...``.

They learn the installed areas from the composition root (:func:`boroughs.core.area.from_cli`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from boroughs.config import get_settings
from boroughs.core import area, audit, datasets, geography
from boroughs.core.db import analyze, session_scope
from boroughs.core.errors import BoroughsError
from boroughs.core.migrate import upgrade

console = Console()
err = Console(stderr=True)

data_app = typer.Typer(help="The open data Boroughs reads: check it, fetch it, load the geography.", no_args_is_help=True)
admin_app = typer.Typer(help="Database, organisations, users and the audit trail.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo deployment.", no_args_is_help=True)

def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]Error:[/] {message}", soft_wrap=True)
    raise typer.Exit(code)


# ---------------------------------------------------------------- data


@data_app.command("check")
def data_check(
    ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (default: BOROUGHS_DATA_DIR)")] = None,
) -> None:
    """Say which datasets are present, their provenance and licence, and what is missing or broken."""
    area.register_datasets(area.from_cli(ctx))
    root = data_dir or get_settings().data_dir
    console.print(f"Data directory: [bold]{root}[/]")
    if not root.is_dir():
        fail(f"{root} does not exist. Set BOROUGHS_DATA_DIR, or run `boroughs data fetch`.")
    problems = 0
    for ds in sorted(datasets.REGISTRY.values(), key=lambda d: d.path):
        path = ds.full_path(root)
        prov = path.parent / ds.provenance
        if not path.exists() and ds.optional:
            status = f"[yellow]not present (optional: {ds.optional})[/]"
        elif not path.exists():
            status = "[red]MISSING[/]"
            problems += 1
        else:
            try:
                if path.suffix == ".geojson":
                    kind = next((k for k, layer in geography.LAYERS.items() if layer.dataset.key == ds.key), None)
                    if kind:
                        geography.read_layer(kind, root)
                elif path.name.endswith((".csv", ".csv.gz")):
                    datasets.read_csv(ds, root)
                status = "[green]ok[/]"
            except BoroughsError as exc:
                status = f"[red]BROKEN: {exc}[/]"
                problems += 1
        console.print(f"{status}  [bold]{ds.key}[/]  {ds.path}", soft_wrap=True)
        console.print(f"      {ds.title}. {ds.publisher}; {ds.licence}; provenance: "
                      f"{prov.relative_to(root) if prov.exists() else 'none'}; source: {ds.url}", soft_wrap=True)
    if problems:
        fail(f"{problems} dataset(s) missing or broken. Fetch them with `boroughs data fetch`.")
    absent = [ds.key for ds in datasets.REGISTRY.values() if ds.optional and not ds.full_path(root).exists()]
    console.print(f"All {len(datasets.REGISTRY) - len(absent)} required datasets present and valid"
                  + (f"; optional, not present: {', '.join(sorted(absent))}." if absent else "."))


@data_app.command("fetch")
def data_fetch(
    ctx: typer.Context,
    source: Annotated[Path | None, typer.Option("--from", help="Copy from this local mirror instead of downloading")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory to fill (default: BOROUGHS_DATA_DIR)")] = None,
    only: Annotated[list[str] | None, typer.Option(help="Only these dataset keys")] = None,
    plan: Annotated[bool, typer.Option("--plan", help="Print each dataset key and the address it would download")] = False,
) -> None:
    """Fill the data directory from the official publishers (or from a local mirror with ``--from``)."""
    import httpx

    from boroughs.core import fetching

    area.register_datasets(area.from_cli(ctx))
    root = data_dir or get_settings().data_dir
    chosen = [d for d in sorted(datasets.REGISTRY.values(), key=lambda d: d.key) if not only or d.key in only]
    if only and len(chosen) != len(set(only)):
        unknown = set(only) - {d.key for d in chosen}
        fail(f"unknown dataset(s) {', '.join(sorted(unknown))}; `boroughs data check` lists them.")
    if plan:
        for key, address in fetching.plan(chosen):
            typer.echo(f"{key}\t{address}")
        return
    failures: list[str] = []
    done_paths: set[str] = set()
    ordered = fetching.order(chosen) if source is None else chosen
    with httpx.Client(headers={"User-Agent": "Boroughs data fetch"}) as client, Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(), console=console
    ) as progress:
        overall = progress.add_task("datasets", total=len(ordered))
        for ds in ordered:
            if ds.path in done_paths:  # two registrations of one file
                progress.advance(overall)
                continue
            task = progress.add_task(ds.key, total=None)

            def on_bytes(n: int, total: int | None, task: TaskID = task) -> None:
                progress.update(task, total=total, advance=n)

            try:
                if source is not None:
                    datasets.fetch(ds, root, client, mirror=source, on_bytes=on_bytes)
                else:
                    fetching.fetch(ds, root, client, on_bytes=on_bytes)
                done_paths.add(ds.path)
            except BoroughsError as exc:
                failures.append(f"{ds.key}: {exc}")
            progress.remove_task(task)
            progress.advance(overall)
    fetched = len(ordered) - len(failures)
    console.print(f"Fetched {fetched} of {len(ordered)} dataset(s) into {root}.")
    if failures:
        fail("these datasets were not fetched:\n" + "\n".join(failures))
    console.print("Run `boroughs data check` to verify them.")


@data_app.command("load")
def data_load(data_dir: Annotated[Path | None, typer.Option(help="Data directory")] = None) -> None:
    """Load London's geography (boroughs, wards, MSOAs, LSOAs, the 2011→2021 lookup) into the database."""
    upgrade()
    try:
        with session_scope() as db:
            counts = geography.load_into(db, data_dir)
    except BoroughsError as exc:
        fail(str(exc))
    for kind, n in sorted(counts.items()):
        console.print(f"{kind:8} {n:>6,}")


# ---------------------------------------------------------------- admin


@admin_app.command("migrate")
def admin_migrate() -> None:
    """Create or upgrade the database tables (every area)."""
    upgrade()
    console.print("The database is up to date.")


@admin_app.command("make-migration")
def admin_make_migration(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="AREA", help="core, or the name of an installed area")],
    message: Annotated[str, typer.Argument(help="What changed, in a few words")],
) -> None:
    """Write the next Alembic migration for an area after its models changed (developers)."""
    from boroughs.core.migrate import make_migration

    known = ("core", *area.names(area.from_cli(ctx)))
    if name not in known:
        fail(f"there is no area called {name!r}: choose one of {', '.join(known)}.")
    upgrade()
    make_migration(name, message)


@admin_app.command("backup")
def admin_backup(dest: Annotated[Path, typer.Argument(help="The backup file to write")]) -> None:
    """Write a consistent copy of the database (SQLite's backup API, or pg_dump on PostgreSQL)."""
    from boroughs.core import backup

    try:
        result = backup.backup(get_settings().database_url, dest)
    except BoroughsError as exc:
        fail(str(exc))
    console.print(result.message())


@admin_app.command("restore")
def admin_restore(
    source: Annotated[Path, typer.Argument(help="A file written by boroughs admin backup")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the current database without asking")] = False,
) -> None:
    """Replace the database with a backup (stop the app first), then bring it up to date."""
    from boroughs.core import backup

    url = get_settings().database_url
    if not yes and not typer.confirm(f"This replaces everything in {url} with {source}. Go on?"):
        fail("Nothing was restored.")
    try:
        result = backup.restore(url, source)
    except BoroughsError as exc:
        fail(str(exc))
    upgrade()
    console.print(f"Restored {result.tables} tables from {source}; the database is up to date.")


@admin_app.command("create-org")
def admin_create_org(
    name: Annotated[str, typer.Argument(help="The organisation's name")],
    kind: Annotated[str, typer.Option(help="council, vcs, fund_body or platform")],
    ons_code: Annotated[str | None, typer.Option(help="ONS code, councils only (e.g. E09000025)")] = None,
    charity_number: Annotated[str | None, typer.Option(
        help="Registered charity number (a VCS organisation needs this or --company-number)")] = None,
    company_number: Annotated[str | None, typer.Option(
        help="Companies House number (a VCS organisation needs this or --charity-number)")] = None,
) -> None:
    """Create an organisation."""
    from boroughs.core.organisations import create_organisation

    upgrade()
    try:
        with session_scope() as db:
            org = create_organisation(db, name, kind, ons_code=ons_code, charity_number=charity_number,
                                      company_number=company_number)
            console.print(f"Created {org.name} ({org.kind}) with id {org.id}, slug {org.slug}.")
    except BoroughsError as exc:
        fail(str(exc))


@admin_app.command("list-orgs")
def admin_list_orgs() -> None:
    """List organisations."""
    from sqlalchemy import select

    from boroughs.core.models import Organisation

    upgrade()
    with session_scope() as db:
        for o in db.scalars(select(Organisation).order_by(Organisation.id)):
            console.print(f"{o.id:>4}  {o.slug:30} {o.kind:10} {o.ons_code or o.charity_number or '':10} {o.name}",
                          soft_wrap=True)


@admin_app.command("create-user")
def admin_create_user(
    email: Annotated[str, typer.Argument(help="The person's email address")],
    name: Annotated[str, typer.Option(help="Full name")],
    org: Annotated[str, typer.Option(help="Organisation id, slug or ONS code")],
    role: Annotated[str, typer.Option(help="Role in that organisation")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          help="The password (asked for, hidden, when not given)")],
) -> None:
    """Create a user with a password and a role (for the first administrator; invite everyone else)."""
    from boroughs.core.organisations import add_membership, create_user, organisation_by

    upgrade()
    try:
        with session_scope() as db:
            organisation = organisation_by(db, org)
            user = create_user(db, email, name, password)
            add_membership(db, user, organisation, role)
            console.print(f"Created {user.email} as {role} in {organisation.name}.")
    except BoroughsError as exc:
        fail(str(exc))


@admin_app.command("invite")
def admin_invite(
    email: Annotated[str, typer.Argument(help="The person's email address")],
    name: Annotated[str, typer.Option(help="Full name")],
    org: Annotated[str, typer.Option(help="Organisation id, slug or ONS code")],
    role: Annotated[str, typer.Option(help="Role in that organisation")],
    base_url: Annotated[str, typer.Option(help="Where the app is served")] = "http://127.0.0.1:8000",
) -> None:
    """Invite someone: emails (and prints) a one-time link where they set their password."""
    from boroughs.core.organisations import invite, organisation_by

    upgrade()
    try:
        with session_scope() as db:
            organisation = organisation_by(db, org)
            _, token = invite(db, organisation, email, name, role)
    except BoroughsError as exc:
        fail(str(exc))
    console.print(f"Invitation queued for {email} (`boroughs notify run` sends it). The link, valid for 7 days, once: "
                  f"{base_url.rstrip('/')}/invitations/{token}")


@admin_app.command("set-role")
def admin_set_role(
    email: Annotated[str, typer.Argument(help="The person's email address")],
    org: Annotated[str, typer.Option(help="Organisation id, slug or ONS code")],
    role: Annotated[str, typer.Option(help="The new role")],
) -> None:
    """Change a user's role in an organisation (adds the membership if they had none)."""
    from sqlalchemy import select

    from boroughs.core.models import Membership, User
    from boroughs.core.organisations import add_membership, change_role, organisation_by

    upgrade()
    try:
        with session_scope() as db:
            organisation = organisation_by(db, org)
            user = db.scalar(select(User).where(User.email == email.lower()))
            if user is None:
                fail(f"no user {email}; invite them with `boroughs admin invite`.")
                return
            m = db.scalar(select(Membership).where(Membership.user_id == user.id,
                                                   Membership.organisation_id == organisation.id))
            if m is None:
                add_membership(db, user, organisation, role)
            else:
                change_role(db, m, role)
    except BoroughsError as exc:
        fail(str(exc))
    console.print(f"{email} is now {role} in {org}.")


@admin_app.command("unlock")
def admin_unlock(email: Annotated[str, typer.Argument(help="The person's email address")]) -> None:
    """Unlock an account locked after failed sign-in attempts."""
    from sqlalchemy import select

    from boroughs.core.models import User

    upgrade()
    with session_scope() as db:
        user = db.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            fail(f"no user {email}.")
            return
        user.locked_until = None
        user.failed_logins = 0
        audit.record(db, "user.unlock", object_type="user", object_id=user.id)
    console.print(f"{email} is unlocked.")


@admin_app.command("verify-audit")
def admin_verify_audit(
    since_checkpoint: Annotated[bool, typer.Option(
        "--since-checkpoint", help="Check only the entries after the latest signed checkpoint (fast)")] = False,
) -> None:
    """Check the audit trail's keyed chain against its signed checkpoints and report every break."""
    upgrade()
    try:
        with session_scope() as db:
            result = audit.verify(db, since_checkpoint=since_checkpoint)
    except BoroughsError as exc:
        fail(str(exc))
        return
    if result.ok:
        console.print(result.message(), soft_wrap=True)
    else:
        fail(result.message(), code=2)


@admin_app.command("audit-checkpoint")
def admin_audit_checkpoint() -> None:
    """Append a signed checkpoint of the audit trail's newest entry to the checkpoint file."""
    from boroughs.core import audit_checkpoints
    from boroughs.core.db import get_engine

    upgrade()
    try:
        cp = audit_checkpoints.write_checkpoint(get_engine())
    except BoroughsError as exc:
        fail(str(exc))
        return
    path = audit_checkpoints.checkpoint_path()
    if cp is None:
        console.print(f"No new entries since the last checkpoint in {path}.", soft_wrap=True)
    else:
        console.print(f"Checkpoint written to {path}: {cp.count:,} entries up to entry {cp.head_id}.", soft_wrap=True)


# ---------------------------------------------------------------- demo


@demo_app.command("seed")
def demo_seed(ctx: typer.Context) -> None:
    """Load the demo deployment (refused unless BOROUGHS_DEMO_MODE=true)."""
    from boroughs.core.demo import seed_core

    settings = get_settings()
    if not settings.demo_mode:
        fail("demo data is only loaded when demo mode is on: set BOROUGHS_DEMO_MODE=true. "
             "Never switch demo mode on in a deployment that holds real data.")
    upgrade()
    steps: list[tuple[str, Callable[[Any], object]]] = [("core", seed_core)]
    for a in area.from_cli(ctx):
        loader = a.demo_loader()
        if loader is not None:
            steps.append((a.name, loader))
    with Progress(console=console) as progress:
        task = progress.add_task("Loading the demo deployment", total=len(steps))
        for name, load in steps:
            try:
                with session_scope() as db:
                    result = load(db)
            except BoroughsError as exc:
                fail(f"while loading the {name} demo: {exc}")
            progress.console.print(f"{name}: {result}")
            progress.advance(task)
    with session_scope() as db:
        analyze(db)  # the planner's statistics for what was just loaded
    console.print("Demo deployment loaded. Sign in with the accounts listed in the README.")


from boroughs.core.sso_cli import app as _sso_app  # noqa: E402  (issue 15: ``boroughs admin sso``)

admin_app.add_typer(_sso_app, name="sso")
