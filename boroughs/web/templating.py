"""Jinja templates: the shared ones, GOV.UK Frontend macros, and each installed area's templates folder.

An area's templates live in ``<its package>/templates/<area>/...`` and extend ``base.html``;
:func:`use_areas` (called by ``create_app``) adds their folders.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape

from boroughs.config import get_settings
from boroughs.core import permissions
from boroughs.core.area import Area

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _loaders(areas: Iterable[Area] = ()) -> list[Any]:
    loaders: list[Any] = [FileSystemLoader(str(TEMPLATES))]
    for area in areas:
        if area.templates_folder is not None:
            loaders.append(FileSystemLoader(str(area.templates_folder)))
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


def use_areas(areas: Iterable[Area]) -> None:
    """Let templates extend and include each area's templates (the app calls this as it starts)."""
    env.loader = ChoiceLoader(_loaders(areas))
    env.auto_reload = get_settings().template_reload  # off: no file check on every page (a restart reloads)
    if env.cache is not None:
        env.cache.clear()
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
