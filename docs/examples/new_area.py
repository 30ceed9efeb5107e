"""A deployment with its own area: the built-in areas plus housing (``docs/examples/housing/``).

A council can keep this composition root in its own repository instead of editing ``boroughs/app.py``
(which lists the built-in areas in ``AREAS``); serve the web app with
``uvicorn --factory new_area:web_app``.
"""

from fastapi import FastAPI
from housing import AREA as HOUSING
from sqlalchemy import Engine

from boroughs.app import AREAS, build_cli
from boroughs.web.app import create_app

MY_AREAS = (*AREAS, HOUSING)


def web_app(engine: Engine | None = None) -> FastAPI:
    """The web app with every area, housing included."""
    return create_app(MY_AREAS, engine)


cli = build_cli(MY_AREAS)  # `boroughs housing priority 40`, beside every built-in command
