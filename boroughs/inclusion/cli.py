"""``boroughs inclusion``: the inclusion area's commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="The inclusion area.", no_args_is_help=True)
