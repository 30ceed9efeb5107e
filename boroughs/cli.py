"""The one command line: ``boroughs serve | data | admin | demo | notify | inclusion | support | fund``."""

from __future__ import annotations

import typer

from boroughs.core.cli import admin_app, data_app, demo_app, serve
from boroughs.core.notify.cli import app as notify_app
from boroughs.core.sso_cli import app as sso_app
from boroughs.fund.cli import app as fund_app
from boroughs.inclusion.cli import app as inclusion_app
from boroughs.support.cli import app as support_app

app = typer.Typer(
    help="Boroughs: digital inclusion, preventative support and a collaborative fund for London councils.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command("serve")(serve)
app.add_typer(data_app, name="data")
admin_app.add_typer(sso_app, name="sso")  # issue 15
app.add_typer(admin_app, name="admin")
app.add_typer(demo_app, name="demo")
app.add_typer(notify_app, name="notify")
app.add_typer(inclusion_app, name="inclusion")
app.add_typer(support_app, name="support")
app.add_typer(fund_app, name="fund")


def main() -> None:
    app()
