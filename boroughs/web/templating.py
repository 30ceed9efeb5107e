"""Jinja templates: GOV.UK Frontend macros plus each area's ``templates/`` folder.

An area's templates live in ``boroughs/<area>/templates/<area>/...`` and extend ``base.html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape

import boroughs
from boroughs.config import get_settings
from boroughs.core import permissions

PACKAGE_DIR = Path(boroughs.__file__).resolve().parent
AREAS = ("core", "inclusion", "support", "fund")


def _loaders() -> list[Any]:
    loaders: list[Any] = [FileSystemLoader(str(PACKAGE_DIR / "web" / "templates"))]
    for area in AREAS:
        folder = PACKAGE_DIR / area / "templates"
        if folder.is_dir():
            loaders.append(FileSystemLoader(str(folder)))
    loaders.append(PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}))
    return loaders


def gbp(value: float | int | None) -> str:
    if value is None:
        return "–"
    return f"£{value:,.0f}"


def number(value: float | int | None, places: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{places}f}"


env = Environment(
    loader=ChoiceLoader(_loaders()),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.do"],
)
env.filters["gbp"] = gbp
env.filters["number"] = number
env.filters["can"] = lambda action, user, owner=None: permissions.can(user, action, owner)


def render(request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """Render a page with the signed-in user, CSRF token and navigation in its context."""
    settings = get_settings()
    ctx: dict[str, Any] = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "demo_mode": settings.demo_mode,
        "current_path": request.url.path,
        "nav": getattr(request.app.state, "nav", []),
    }
    ctx.update(context or {})
    html = env.get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code)
