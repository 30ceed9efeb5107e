"""The fund's open data on the web: the grants page and its 360Giving file, and publishing that data to
CKAN, DataPress or a local folder (issue 17).

Only a fund manager may publish (``fund.publish`` on their fund body). The catalogues are configured by
the deployment (``BOROUGHS_CKAN_*``, ``BOROUGHS_DATAPRESS_*``, ``BOROUGHS_PUBLISH_FOLDER``), never typed into
the page, so API keys stay out of forms, pages and the audit trail. "Check first" shows what would happen
and changes nothing; either way the page shows the result, step by step, or the catalogue's refusal.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from boroughs.config import get_settings
from boroughs.core import audit
from boroughs.core.errors import BoroughsError, NotFound, PermissionDenied
from boroughs.core.models import User
from boroughs.fund.opendata import giving360
from boroughs.fund.opendata.publishing import DatasetPackage, Publisher, PublishResult, make_publisher
from boroughs.fund.routes._common import Form, fund_bodies, posted, status
from boroughs.web.deps import get_db, require_user
from boroughs.web.templating import render

router = APIRouter()

BACKENDS = {"local": "A folder on the server", "ckan": "CKAN", "datapress": "DataPress (London Datastore)"}
DATASETS = {"grants": "The fund's grants, as 360Giving open data (JSON)"}
DEFAULTS = {"slug": "fund-grants", "title": "Collaborative innovation fund grants",
            "description": "Grants awarded to partnerships of councils, as 360Giving open data (CC BY 4.0)."}


@router.get("/fund/grants")
def grants(request: Request, db: Session = Depends(get_db)) -> Response:
    """The fund's grants, with other funders' published 360Giving grants beside them."""
    ours = giving360.export_package(db)["grants"]
    return render(request, "fund/grants.html", {"page_title": "Grants", "ours": ours,
                                                "others": giving360.external_grants(db, limit=50)})


@router.get("/fund/grants.json")
def grants_json(db: Session = Depends(get_db)) -> Response:
    """The fund's grants as a 360Giving 1.4.3 package (open data, CC BY 4.0)."""
    pkg = giving360.export_package(db)
    if not pkg["grants"]:
        raise NotFound("No grants have been awarded yet.")
    errors = giving360.validate(pkg)
    if errors:  # never publish what does not validate
        raise BoroughsError("The grants data did not validate: " + "; ".join(errors[:3]))
    return JSONResponse(pkg, headers={"Content-Disposition": 'inline; filename="grants-360giving.json"'})


# --- publishing to a catalogue -------------------------------------------------------------------

def publish_client() -> httpx.Client | None:
    """The HTTP client the catalogues are reached with (None: each publisher makes its own). Tests replace it
    with one that replays recorded responses."""
    return None


def configured() -> dict[str, str | None]:
    """Each backend and, when it cannot be used, what setting it still needs."""
    s = get_settings()
    return {
        "local": None if s.publish_folder else "set BOROUGHS_PUBLISH_FOLDER",
        "ckan": None if s.ckan_url and s.ckan_api_key else "set BOROUGHS_CKAN_URL and BOROUGHS_CKAN_API_KEY",
        "datapress": None if s.datapress_url and s.datapress_api_key and s.datapress_dataset_id else
        "set BOROUGHS_DATAPRESS_URL, BOROUGHS_DATAPRESS_API_KEY and BOROUGHS_DATAPRESS_DATASET_ID",
    }


def _publisher(backend: str, client: httpx.Client | None) -> Publisher:
    s = get_settings()
    if backend == "local":
        return make_publisher("local", root=s.publish_folder)
    if backend == "ckan":
        return make_publisher("ckan", url=s.ckan_url, api_key=s.ckan_api_key, client=client)
    return make_publisher("datapress", url=s.datapress_url, api_key=s.datapress_api_key,
                          dataset_id=s.datapress_dataset_id, client=client)


def _fund_body(user: User) -> int:
    bodies = fund_bodies(user, "fund.publish")
    if not bodies:
        raise PermissionDenied("Only a fund manager can publish the fund's open data.")
    return bodies[0].id


def _page(request: Request, *, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
          error: str | None = None, result: PublishResult | None = None) -> Response:
    return render(request, "fund/publish.html", {
        "page_title": "Publish the fund's open data", "BACKENDS": BACKENDS, "DATASETS": DATASETS,
        "configured": configured(), "values": {**DEFAULTS, **(values or {})}, "errors": errors or {},
        "error": error, "result": result,
    }, status(error, errors))


@router.get("/fund/publish")
def publish_page(request: Request, user: User = Depends(require_user)) -> Response:
    """The page to publish the fund's open data (CKAN, DataPress or a local folder)."""
    _fund_body(user)
    return _page(request)


@router.post("/fund/publish")
def publish(request: Request, form: Form = Depends(posted), db: Session = Depends(get_db),
            user: User = Depends(require_user), client: httpx.Client | None = Depends(publish_client)) -> Response:
    """Publish the fund's grants as open data."""
    body_id = _fund_body(user)
    values = form
    backend, dataset = values.get("backend", ""), values.get("dataset", "grants")
    errors: dict[str, str] = {}
    ready = configured()
    if backend not in BACKENDS:
        errors["backend"] = "Choose where to publish."
    elif ready[backend]:
        errors["backend"] = f"{BACKENDS[backend]} is not set up on this server: {ready[backend]}."
    if dataset not in DATASETS:
        errors["dataset"] = "Choose what to publish."
    if errors:
        return _page(request, values=values, errors=errors)
    dry_run = values.get("action") != "publish"
    pkg_data = giving360.export_package(db, base_url=str(request.base_url))
    if not pkg_data["grants"]:
        return _page(request, values=values, error="No grants have been awarded yet, so there is nothing to publish.")
    problems = giving360.validate(pkg_data)
    if problems:
        return _page(request, values=values, error="The grants data did not validate, so it was not published: "
                     + "; ".join(problems[:3]))
    with tempfile.TemporaryDirectory(prefix="boroughs-publish-") as tmp:
        path = Path(tmp) / "grants-360giving.json"
        path.write_text(json.dumps(pkg_data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        pkg = DatasetPackage(slug=values.get("slug", "").strip(), title=values.get("title", "").strip(),
                             description=values.get("description", ""), files=(path,),
                             organisation=get_settings().ckan_organisation or None, tags=("grants", "360giving"))
        try:
            result = _publisher(backend, client).publish(pkg, dry_run=dry_run)
        except BoroughsError as exc:
            audit.record(db, "fund.publish.failed", actor=user, organisation_id=body_id, object_type="dataset",
                         object_id=pkg.slug, detail={"backend": backend, "dry_run": dry_run, "reason": str(exc)[:500]})
            db.commit()  # the refusal is kept in the audit trail although the page reports an error
            return _page(request, values=values, error=str(exc))
    audit.record(db, "fund.publish", actor=user, organisation_id=body_id, object_type="dataset", object_id=pkg.slug,
                 detail={"backend": backend, "dry_run": dry_run, "url": result.url,
                         "steps": [str(s) for s in result.steps]})
    return _page(request, values=values, result=result)
