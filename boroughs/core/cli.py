"""Core commands: ``boroughs serve``, ``boroughs data ...``, ``boroughs admin ...``, ``boroughs demo ...``."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from boroughs.config import get_settings
from boroughs.core import audit, datasets, geography
from boroughs.core.db import session_scope
from boroughs.core.errors import BoroughsError
from boroughs.core.migrate import upgrade

console = Console()
err = Console(stderr=True)

data_app = typer.Typer(help="The open data Boroughs reads: check it, fetch it, load the geography.", no_args_is_help=True)
admin_app = typer.Typer(help="Database, organisations, users and the audit trail.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo deployment.", no_args_is_help=True)

AREAS_WITH_DATA = ("inclusion", "support", "fund")


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]Error:[/] {message}")
    raise typer.Exit(code)


def _register_all_datasets() -> None:
    for area in AREAS_WITH_DATA:
        try:
            importlib.import_module(f"boroughs.{area}.sources")
        except ModuleNotFoundError as exc:
            if exc.name != f"boroughs.{area}.sources":
                raise


def serve(
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    migrate: Annotated[bool, typer.Option(help="Bring the database up to date first")] = True,
) -> None:
    """Serve the web app (``GET /healthz`` answers 200 when the database is reachable)."""
    import uvicorn

    from boroughs.web.app import serving_app

    if migrate:
        upgrade()
    console.print(f"Boroughs is running at [bold]http://{host}:{port}/[/] (database {get_settings().database_url.split('@')[-1]})")
    uvicorn.run(serving_app(), host=host, port=port, log_level="info", proxy_headers=True)


# ---------------------------------------------------------------- data


@data_app.command("check")
def data_check(
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (default: BOROUGHS_DATA_DIR)")] = None,
) -> None:
    """Say which datasets are present, their provenance and licence, and what is missing or broken."""
    _register_all_datasets()
    root = data_dir or get_settings().data_dir
    console.print(f"Data directory: [bold]{root}[/]")
    if not root.is_dir():
        fail(f"{root} does not exist. Set BOROUGHS_DATA_DIR, or run `boroughs data fetch`.")
    problems = 0
    for ds in sorted(datasets.REGISTRY.values(), key=lambda d: d.path):
        path = ds.full_path(root)
        prov = path.parent / ds.provenance
        if not path.exists():
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
    console.print(f"All {len(datasets.REGISTRY)} datasets present and valid.")


@data_app.command("fetch")
def data_fetch(
    source: Annotated[Path | None, typer.Option("--from", help="Copy from this local mirror instead of downloading")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory to fill (default: BOROUGHS_DATA_DIR)")] = None,
    only: Annotated[list[str] | None, typer.Option(help="Only these dataset keys")] = None,
) -> None:
    """Fill the data directory from the official publishers (or from a local mirror with ``--from``)."""
    import httpx

    _register_all_datasets()
    root = data_dir or get_settings().data_dir
    chosen = [d for d in datasets.REGISTRY.values() if not only or d.key in only]
    if only and len(chosen) != len(set(only)):
        unknown = set(only) - {d.key for d in chosen}
        fail(f"unknown dataset(s) {', '.join(sorted(unknown))}; `boroughs data check` lists them.")
    failures: list[str] = []
    with httpx.Client() as client, Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(), console=console
    ) as progress:
        overall = progress.add_task("datasets", total=len(chosen))
        for ds in chosen:
            task = progress.add_task(ds.key, total=None)

            def on_bytes(n: int, total: int | None, task: TaskID = task) -> None:
                progress.update(task, total=total, advance=n)

            try:
                datasets.fetch(ds, root, client, mirror=source, on_bytes=on_bytes)
            except BoroughsError as exc:
                failures.append(f"{ds.key}: {exc}")
            progress.remove_task(task)
            progress.advance(overall)
    fetched = len(chosen) - len(failures)
    console.print(f"Fetched {fetched} of {len(chosen)} dataset(s) into {root}.")
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
def admin_make_migration(area: str, message: str) -> None:
    """Write the next Alembic migration for an area after its models changed (developers)."""
    from boroughs.core.migrate import make_migration

    upgrade()
    make_migration(area, message)


@admin_app.command("create-org")
def admin_create_org(
    name: str,
    kind: Annotated[str, typer.Option(help="council, vcs, fund_body or platform")],
    ons_code: Annotated[str | None, typer.Option(help="ONS code, councils only (e.g. E09000025)")] = None,
    charity_number: Annotated[str | None, typer.Option()] = None,
    company_number: Annotated[str | None, typer.Option()] = None,
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
    email: str,
    name: Annotated[str, typer.Option(help="Full name")],
    org: Annotated[str, typer.Option(help="Organisation id, slug or ONS code")],
    role: Annotated[str, typer.Option(help="Role in that organisation")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
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
    email: str,
    name: Annotated[str, typer.Option(help="Full name")],
    org: Annotated[str, typer.Option(help="Organisation id, slug or ONS code")],
    role: Annotated[str, typer.Option(help="Role in that organisation")],
    base_url: Annotated[str, typer.Option(help="Where the app is served")] = "http://127.0.0.1:8000",
) -> None:
    """Invite someone: prints a one-time link where they set their password."""
    from boroughs.core.organisations import invite, organisation_by

    upgrade()
    try:
        with session_scope() as db:
            organisation = organisation_by(db, org)
            _, token = invite(db, organisation, email, name, role)
    except BoroughsError as exc:
        fail(str(exc))
    console.print(f"Send this link to {email} (valid for 7 days, once): {base_url.rstrip('/')}/invitations/{token}")


@admin_app.command("set-role")
def admin_set_role(
    email: str,
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
def admin_unlock(email: str) -> None:
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
def admin_verify_audit() -> None:
    """Check the audit trail's hash chain and report the first broken link."""
    upgrade()
    with session_scope() as db:
        result = audit.verify(db)
    if result.ok:
        console.print(result.message())
    else:
        fail(result.message(), code=2)


# ---------------------------------------------------------------- demo


@demo_app.command("seed")
def demo_seed() -> None:
    """Load the demo deployment (refused unless BOROUGHS_DEMO_MODE=true)."""
    from boroughs.core.demo import seed_core

    settings = get_settings()
    if not settings.demo_mode:
        fail("demo data is only loaded when demo mode is on: set BOROUGHS_DEMO_MODE=true. "
             "Never switch demo mode on in a deployment that holds real data.")
    upgrade()
    steps: list[tuple[str, str]] = [("core", "boroughs.core.demo:seed_core")]
    for area in AREAS_WITH_DATA:
        try:
            importlib.import_module(f"boroughs.{area}.demo")
            steps.append((area, f"boroughs.{area}.demo:seed_demo"))
        except ModuleNotFoundError as exc:
            if exc.name != f"boroughs.{area}.demo":
                raise
    with Progress(console=console) as progress:
        task = progress.add_task("Loading the demo deployment", total=len(steps))
        for area, target in steps:
            module_name, func_name = target.split(":")
            func = getattr(importlib.import_module(module_name), func_name)
            try:
                with session_scope() as db:
                    result = func(db) if area != "core" else seed_core(db)
            except BoroughsError as exc:
                fail(f"while loading the {area} demo: {exc}")
            progress.console.print(f"{area}: {result}")
            progress.advance(task)
    console.print("Demo deployment loaded. Sign in with the accounts listed in the README.")
