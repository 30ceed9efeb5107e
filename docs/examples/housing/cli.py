"""``boroughs housing``: the housing area's commands."""

from typing import Annotated

import typer

from housing.service import priority

app = typer.Typer(help="Housing: repairs and their priority.", no_args_is_help=True)


@app.command("priority")
def priority_command(
    days_open: Annotated[int, typer.Argument(help="How many days the repair has been open.")],
) -> None:
    """Say a repair's priority: routine, overdue or escalate."""
    typer.echo(priority(days_open))
