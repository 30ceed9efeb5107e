"""``boroughs admin sso ...``: set up an organisation's single sign-on and decide on first sign-ins (issue 15)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from boroughs.core.db import session_scope
from boroughs.core.errors import BoroughsError
from boroughs.core.migrate import upgrade

app = typer.Typer(help="Single sign-on (OpenID Connect) per organisation: set it up, show it, approve first sign-ins.",
                  no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _fail(message: str) -> None:
    err.print(f"[bold red]Error:[/] {message}")
    raise typer.Exit(1)


@app.command("set")
def sso_set(
    org: Annotated[str, typer.Argument(help="Organisation id, slug or ONS code")],
    issuer: Annotated[str, typer.Option(help="The provider's issuer, e.g. https://login.microsoftonline.com/<tenant id>/v2.0")],
    client_id: Annotated[str, typer.Option(help="The application (client) id the provider gave Boroughs")],
    domain: Annotated[list[str], typer.Option(help="An email domain allowed to sign in (repeat for several)")],
    secret_ref: Annotated[str | None, typer.Option(
        help="Where the client secret is: env:NAME or file:/path (default env:BOROUGHS_SSO_SECRET_<SLUG>)")] = None,
    first_role: Annotated[str | None, typer.Option(
        help="The role a first sign-in gets; without it an administrator approves each first sign-in")] = None,
    label: Annotated[str | None, typer.Option(help="The provider's name on the sign-in page")] = None,
    passwords: Annotated[bool | None, typer.Option(
        "--passwords/--no-passwords", help="Allow or refuse password sign-in for the organisation's members")] = None,
    enabled: Annotated[bool, typer.Option("--enabled/--disabled", help="Switch single sign-on on or off")] = True,
) -> None:
    """Create or change an organisation's identity provider."""
    from boroughs.core import oidc
    from boroughs.core.organisations import organisation_by

    upgrade()
    try:
        with session_scope() as db:
            organisation = organisation_by(db, org)
            p = oidc.configure(db, organisation, issuer=issuer, client_id=client_id, domains=domain,
                               secret_ref=secret_ref, first_role=first_role, label=label,
                               allow_passwords=passwords, enabled=enabled)
            console.print(f"Single sign-on for {organisation.name}: {p.label}, issuer {p.issuer}, "
                          f"secret from {p.client_secret_ref} ({oidc.secret_status(p.client_secret_ref)}).",
                          soft_wrap=True)
            console.print(f"Sign-in address: /sign-in/sso/{organisation.slug}; redirect URI to register with the "
                          "provider: <BOROUGHS_PUBLIC_URL>/sign-in/sso/callback", soft_wrap=True)
    except BoroughsError as exc:
        _fail(str(exc))


@app.command("show")
def sso_show() -> None:
    """List every organisation's single sign-on settings (never the secrets)."""
    from sqlalchemy import select

    from boroughs.core import oidc
    from boroughs.core.sso_models import SsoProvider

    upgrade()
    with session_scope() as db:
        providers = list(db.scalars(select(SsoProvider).order_by(SsoProvider.id)))
        if not providers:
            console.print("No organisation uses single sign-on.")
        for p in providers:
            console.print(
                f"{p.organisation.slug}: {'on' if p.enabled else 'off'}; {p.label}; issuer {p.issuer}; "
                f"client id {p.client_id}; secret {p.client_secret_ref} ({oidc.secret_status(p.client_secret_ref)}); "
                f"domains {', '.join(p.allowed_domains)}; first sign-in "
                f"{p.first_role or 'approved by an administrator'}; passwords "
                f"{'allowed' if p.allow_passwords else 'off'}", soft_wrap=True)


@app.command("approvals")
def sso_approvals(org: Annotated[str, typer.Argument(help="Organisation id, slug or ONS code")]) -> None:
    """List the first sign-ins waiting for approval."""
    from boroughs.core import oidc
    from boroughs.core.organisations import organisation_by

    upgrade()
    try:
        with session_scope() as db:
            waiting = oidc.pending(db, organisation_by(db, org).id)
            if not waiting:
                console.print("No one is waiting.")
            for a in waiting:
                console.print(f"{a.id:>5}  {a.email}  {a.name}  asked {a.requested_at:%Y-%m-%d %H:%M}", soft_wrap=True)
    except BoroughsError as exc:
        _fail(str(exc))


@app.command("approve")
def sso_approve(
    approval_id: Annotated[int, typer.Argument(help="The first sign-in's id (from boroughs admin sso approvals)")],
    role: Annotated[str, typer.Option(help="The role to give")],
) -> None:
    """Approve a first sign-in with a role (the person can then sign in)."""
    from boroughs.core import oidc

    upgrade()
    try:
        with session_scope() as db:
            a = oidc.decide(db, approval_id, approve=True, role=role)
            console.print(f"Approved {a.email} as {role}.")
    except BoroughsError as exc:
        _fail(str(exc))


@app.command("refuse")
def sso_refuse(approval_id: Annotated[int, typer.Argument(help="The first sign-in's id (from boroughs admin sso approvals)")]) -> None:
    """Refuse a first sign-in (the person is told an administrator refused access)."""
    from boroughs.core import oidc

    upgrade()
    try:
        with session_scope() as db:
            a = oidc.decide(db, approval_id, approve=False)
            console.print(f"Refused {a.email}.")
    except BoroughsError as exc:
        _fail(str(exc))
