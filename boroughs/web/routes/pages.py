"""The home page, health check and other core pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.orm import Session

from boroughs.core.db import ping
from boroughs.web.deps import get_db
from boroughs.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The home page."""
    return render(request, "core/home.html")


@router.get("/accessibility", response_class=HTMLResponse)
def accessibility(request: Request) -> HTMLResponse:
    """The accessibility statement."""
    return render(request, "core/accessibility.html")


@router.get("/healthz")
def healthz(request: Request, db: Session = Depends(get_db)) -> JSONResponse:
    """Health check: 200 when the database is reachable, 503 otherwise."""
    if ping(request.app.state.engine):
        return JSONResponse({"status": "ok", "database": "reachable"})
    return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
