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
    workers: Annotated[int | None, typer.Option(
        min=1, help="Server processes: one per CPU core (each handles one request at a time; default "
                    "BOROUGHS_WORKERS, 1)")] = None,
) -> None:
    """Serve the web app (``GET /healthz`` answers 200 when the database is reachable).

    With ``--workers N`` Uvicorn runs N server processes on the one port and restarts any that dies; each
    loads the app (and the map's data) itself."""
    import uvicorn

    from boroughs.web.app import create_app

    if migrate:
        upgrade()
    console.print(f"Boroughs is running at [bold]http://{host}:{port}/[/] (database {get_settings().database_url.split('@')[-1]})")
    # X-Forwarded-For is read by boroughs.web.deps.client_ip, from BOROUGHS_TRUSTED_PROXIES only
    processes = workers or get_settings().workers
    try:  # with several processes this one only checks the settings: each worker preloads the map's data
        app = create_app(area.from_cli(ctx), preload=get_settings().map_preload and processes == 1)
    except BoroughsError as exc:
        fail(str(exc))
        return
    worker = None
    if get_settings().notify_worker_in_serve:  # issue 15: send the outbox from a background thread
        from boroughs.core.notify import BackgroundWorker

        worker = BackgroundWorker().start()
    try:
        if processes > 1:  # each process makes its own app, as boroughs.app:serving_app does
            uvicorn.run("boroughs.app:serving_app", factory=True, host=host, port=port, workers=processes,
                        log_level="info", proxy_headers=False)
        else:
            uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
    finally:
        if worker is not None:
            worker.stop()
