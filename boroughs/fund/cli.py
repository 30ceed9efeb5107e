"""``boroughs fund``: the fund area's commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="The fund area.", no_args_is_help=True)
