"""The composition root: the list of areas, and the web app and command line built from them.

Nothing else lists the areas. To add one, declare ``AREA = Area(...)`` in its package (see
:mod:`boroughs.core.area` and ``docs/developing.md``) and add it to :data:`AREAS`.

- ``create_app()`` — the web app (``uvicorn --factory boroughs.app:serving_app`` serves it as
  ``boroughs serve`` does);
- ``cli`` — the one command line, ``boroughs serve | data | admin | demo | notify`` and one group per area.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from boroughs import fund, inclusion, support
from boroughs.config import get_settings, reset_settings
from boroughs.core.area import Area
from boroughs.core.cli import admin_app, data_app, demo_app
from boroughs.core.db import reset_engines
from boroughs.core.notify.cli import app as notify_app
from boroughs.web.cli import serve

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine

AREAS: tuple[Area, ...] = (inclusion.AREA, support.AREA, fund.AREA)


def create_app(engine: Engine | None = None, *, preload: bool = False) -> FastAPI:
    """The web app with every area (see :func:`boroughs.web.app.create_app`), reading its settings from the
    environment as it is made (not from an earlier read in the same process: tests make many apps, each
    with its own environment, while other threads may read the settings)."""
    from boroughs.web.app import create_app as build

    reset_settings()
    return build(AREAS, engine, preload=preload)


def serving_app() -> FastAPI:
    """The app as ``boroughs serve`` runs it: preloading the map's data unless ``BOROUGHS_MAP_PRELOAD=false``."""
    return create_app(preload=get_settings().map_preload)


def build_cli(areas: tuple[Area, ...]) -> typer.Typer:
    root = typer.Typer(
        help="Boroughs: digital inclusion, preventative support and a collaborative fund for London councils.",
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
    )

    @root.callback()
    def _areas(ctx: typer.Context) -> None:
        # Each command reads its settings from the environment as it starts, not from an earlier run in the
        # same process (a test runs many commands in one process, each with its own DATABASE_URL).
        reset_settings()
        reset_engines()
        ctx.obj = areas  # the core's commands read the installed areas from here

    root.command("serve")(serve)
    root.add_typer(data_app, name="data")
    root.add_typer(admin_app, name="admin")
    root.add_typer(demo_app, name="demo")
    root.add_typer(notify_app, name="notify")
    for a in areas:
        sub = a.cli_app()
        if sub is not None:
            root.add_typer(sub, name=a.name)
    return root


cli = build_cli(AREAS)


def main() -> None:
    cli()
