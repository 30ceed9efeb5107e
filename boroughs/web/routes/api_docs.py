"""The API's documentation page, ``/api/docs``: Swagger UI served from this app, never from a CDN.

FastAPI's built-in page loads Swagger UI from a public CDN at a floating version, which fails offline and on
locked-down council networks. This page uses the copy vendored from the pinned npm package
``swagger-ui-dist`` (``scripts/vendor_assets.sh``), and starts it from a static file, so the page needs no
inline script.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from boroughs.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The JSON API's documentation (Swagger UI, served from the vendored copy)."""
    return render(request, "core/api_docs.html", {"page_title": "API documentation",
                                                  "openapi_url": request.app.openapi_url})
