"""``boroughs support``: the support area's commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="The support area.", no_args_is_help=True)
