"""``boroughs notify run [--once]`` and ``boroughs notify status``."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import func, select

from boroughs.config import get_settings
from boroughs.core.db import get_engine, session_scope
from boroughs.core.migrate import upgrade
from boroughs.core.notify.backends import backend_from_settings
from boroughs.core.notify.models import STATUS_LABELS, OutboxMessage
from boroughs.core.notify.worker import Policy, run_once

console = Console()
err = Console(stderr=True)
app = typer.Typer(help="Email and text messages: send what the outbox holds.", no_args_is_help=True)


@app.command("run")
def notify_run(
    once: Annotated[bool, typer.Option("--once", help="Send what is due now, then stop")] = False,
    poll: Annotated[float | None, typer.Option(help="Seconds between looks at the outbox")] = None,
) -> None:
    """Send queued messages through the configured backend, retrying failures with backoff."""
    upgrade()
    settings = get_settings()
    try:
        backend = backend_from_settings(settings)
    except ValueError as exc:
        err.print(f"[bold red]Error:[/] {exc}")
        raise typer.Exit(1) from None
    policy = Policy.from_settings(settings)
    engine = get_engine()
    wait = poll if poll is not None else settings.notify_poll_seconds
    while True:
        counts = run_once(engine, backend, policy)
        if counts.claimed or once:
            console.print(f"Sent {counts.delivered} message(s) through {backend.name}; "
                          f"{counts.retrying} to try again later, {counts.failed} failed.")
            for line in counts.errors:
                err.print(f"  {line}")
        if once:
            raise typer.Exit(1 if counts.failed else 0)
        time.sleep(wait)


@app.command("status")
def notify_status() -> None:
    """How many messages are in each state."""
    upgrade()
    with session_scope() as db:
        rows = dict(db.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    for status, label in STATUS_LABELS.items():
        console.print(f"{label}: {rows.get(status, 0)}")
