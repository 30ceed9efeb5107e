"""``boroughs serve``: the web app under Uvicorn, with the installed areas."""

from __future__ import annotations

from typing import Annotated

import typer

from boroughs.config import get_settings
from boroughs.core import area
from boroughs.core.cli import console, fail
from boroughs.core.errors import BoroughsError
from boroughs.core.migrate import upgrade


def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    migrate: Annotated[bool, typer.Option(help="Bring the database up to date first")] = True,
) -> None:
    """Serve the web app (``GET /healthz`` answers 200 when the database is reachable)."""
    import uvicorn

    from boroughs.web.app import create_app

    if migrate:
        upgrade()
    console.print(f"Boroughs is running at [bold]http://{host}:{port}/[/] (database {get_settings().database_url.split('@')[-1]})")
    # X-Forwarded-For is read by boroughs.web.deps.client_ip, from BOROUGHS_TRUSTED_PROXIES only
    try:
        app = create_app(area.from_cli(ctx), preload=get_settings().map_preload)
    except BoroughsError as exc:
        fail(str(exc))
        return
    worker = None
    if get_settings().notify_worker_in_serve:  # issue 15: send the outbox from a background thread
        from boroughs.core.notify import BackgroundWorker

        worker = BackgroundWorker().start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
    finally:
        if worker is not None:
            worker.stop()
