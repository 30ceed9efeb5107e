"""Provision on the web: the API under ``/api/v1/inclusion/`` (sites, gaps, downloads), the gap table page and
the page where a council manages its sites.

Everything shown is open data (public sites and figures built from open data), so it is public, like the
rest of the map. Routes that read the database are plain ``def`` (FastAPI runs them in its thread pool).
The reach and gap tables are computed once per (index, provision, opening-hours filter) and cached
(:mod:`boroughs.inclusion.provision.service`).
"""

from __future__ import annotations

import io
import math
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from boroughs.core import audit, permissions
from boroughs.core.csv_safety import safe_frame
from boroughs.core.errors import BoroughsError, NotFound, PermissionDenied
from boroughs.core.models import User
from boroughs.inclusion.map import payloads
from boroughs.inclusion.map.index import MapIndex
from boroughs.inclusion.map.loading import get_index
from boroughs.inclusion.map.profile import format_value
from boroughs.inclusion.provision import gaps, reach
from boroughs.inclusion.provision.service import KINDS, area_gap, gap_rows, gap_table, sites, sources_of
from boroughs.inclusion.web.responses import etagged, json_response
from boroughs.web.deps import form_data, get_db, require_user
from boroughs.web.templating import render

router = APIRouter()
api = APIRouter(prefix="/api/v1/inclusion", tags=["inclusion provision"])

WHEN = Query("any", pattern="^(any|evenings|weekends|evenings_or_weekends)$",
             description="Count only sites open: any, evenings, weekends or evenings_or_weekends")
PAGE_SIZE = 50
GAP_LAYER = {
    "id": "gap", "name": "Gap: need against digital support", "group": "Digital support", "kind": "score",
    "description": "Residents likely offline, weighted by the area's score and by the walk to the nearest digital "
                   "support site (larger: a bigger gap).",
    "unit": "", "higher_is_worse": True, "palette": "sequential", "values_url": "/api/v1/inclusion/gaps/values",
}


# ---- API ----------------------------------------------------------------------------------------


@api.get("/provision", summary="Digital support sites as GeoJSON points (EPSG:4326)", response_class=Response,
         responses={200: {"content": {"application/geo+json": {}}}})
def provision_geojson(request: Request, kind: str | None = Query(None, description="Only this kind"),
                      borough: str | None = Query(None, description="Only this council's sites (E09…)"),
                      db: Session = Depends(get_db)) -> Response:
    frame = sites(db)
    if kind:
        if kind not in KINDS:
            raise NotFound(f"Unknown kind {kind!r}; the kinds are {', '.join(KINDS)}.")
        frame = frame[frame["kind"] == kind]
    if borough:
        frame = frame[frame["council_code"] == borough]
    features = []
    for r in frame.itertuples():
        props = {"id": int(r.id), "name": r.name, "kind": r.kind, "kind_label": KINDS.get(r.kind, r.kind),
                 "address": r.address or "", "postcode": r.postcode, "opening_hours": r.opening_hours or "",
                 "open_evenings": _flag(r.open_evenings), "open_weekends": _flag(r.open_weekends),
                 "serves": r.serves or "", "website": r.website, "council": r.council, "example": bool(r.is_example)}
        features.append({"type": "Feature", "id": int(r.id), "properties": props,
                         "geometry": {"type": "Point", "coordinates": [round(float(r.longitude), 6),
                                                                       round(float(r.latitude), 6)]}})
    body = payloads.dumps({"type": "FeatureCollection", "features": features})
    return etagged(request, body, "application/geo+json")


def _flag(v: Any) -> bool | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else bool(v)


@api.get("/provision/kinds", summary="The kinds of digital support, with how many sites of each")
def provision_kinds(db: Session = Depends(get_db)) -> dict[str, Any]:
    frame = sites(db)
    return {"items": [{"id": k, "name": label, "count": int((frame["kind"] == k).sum())} for k, label in KINDS.items()],
            "examples": int(frame["is_example"].sum()) if len(frame) else 0}


def _ranked(db: Session, borough: str | None, when: str) -> tuple[MapIndex, pd.DataFrame, pd.DataFrame]:
    """The index, its gap table and that table ranked (biggest gap first), for London or one borough."""
    index = get_index()
    if borough:
        index.borough_name(borough)
    table = gap_table(db, index, when)
    return index, table, gaps.ranked(table, borough or None)


@api.get("/gaps", summary="The gap between need and provision per area, ranked (biggest first)")
def gaps_json(request: Request, borough: str | None = None, when: str = WHEN,
              limit: int = Query(100, ge=1, le=5000), offset: int = Query(0, ge=0),
              db: Session = Depends(get_db)) -> Response:
    index, table, ranked = _ranked(db, borough, when)
    params = reach.WalkParams.from_settings()
    doc = {"when": when, "walk": {"minutes": params.minutes, "speed_kmh": params.speed_kmh, "detour": params.detour},
           "summary": gaps.borough_summary(table, borough or None), "count": len(ranked), "offset": offset,
           "items": gap_rows(index, ranked.iloc[offset:offset + limit])}
    return json_response(request, payloads.json_safe(doc))


@api.get("/gaps.csv", summary="Download the gap table as CSV", response_class=Response,
         responses={200: {"content": {"text/csv": {}}}})
def gaps_csv(borough: str | None = None, when: str = WHEN, db: Session = Depends(get_db)) -> Response:
    index, _, ranked = _ranked(db, borough, when)
    rows = pd.DataFrame(gap_rows(index, ranked))
    buf = io.StringIO()
    safe_frame(rows).to_csv(buf, index=False, float_format="%.6g")
    name = f"digital-support-gaps-{(borough or 'london').lower()}{'' if when == 'any' else '-' + when}.csv"
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@api.get("/gaps/values", summary="The gap score of every area, in the order of /map-data's codes")
def gap_values(request: Request, when: str = WHEN, db: Session = Depends(get_db)) -> Response:
    index = get_index()
    table = gap_table(db, index, when)
    body = payloads.dumps({"id": "gap", "when": when,
                           "values": payloads.rounded(table["gap_score"].to_numpy(dtype=float))})
    return etagged(request, body, "application/json")


@api.get("/gaps/areas/{code}", summary="One area's reach and gap: nearest site of each kind, walking time")
def gap_area(request: Request, code: str, when: str = WHEN, db: Session = Depends(get_db)) -> Response:
    return json_response(request, payloads.json_safe(area_gap(db, get_index(), code, when)))


# ---- pages --------------------------------------------------------------------------------------


@router.get("/map/gaps", include_in_schema=False)
def gaps_page(request: Request, borough: str | None = None, when: str = WHEN, page: int = Query(1, ge=1),
              db: Session = Depends(get_db)) -> Response:
    """Provision beside need: the areas with the biggest gap between need and nearby support."""
    index, table, ranked = _ranked(db, borough, when)
    pages = max(1, -(-len(ranked) // PAGE_SIZE))
    page = min(page, pages)
    filters = {k: v for k, v in {"borough": borough, "when": "" if when == "any" else when}.items() if v}

    def link(**changes: Any) -> str:
        return "?" + urlencode({k: v for k, v in {**filters, "page": page, **changes}.items() if v not in (None, "")})

    frame = sites(db)
    return render(request, "inclusion/provision/gaps.html", {
        "index": index, "boroughs": index.boroughs.to_dict("records"), "fmt": format_value,
        "rows": gap_rows(index, ranked.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]), "total": len(ranked),
        "page": page, "pages": pages, "link": link, "borough": borough or "", "when": when, "whens": reach.WHEN,
        "summary": gaps.borough_summary(table, borough or None), "downloads": urlencode(filters),
        "sites": len(frame), "examples": int(frame["is_example"].sum()) if len(frame) else 0,
        "walk": reach.WalkParams.from_settings(), "kinds": KINDS,
        "borough_name": index.borough_name(borough) if borough else "London",
    })


def _manage_context(db: Session, user: User) -> dict[str, Any]:
    from sqlalchemy import select

    from boroughs.core.models import Organisation

    org_ids = permissions.orgs_where(user, "inclusion.provision.import") | permissions.orgs_where(
        user, "inclusion.provision.clear")
    if not org_ids:
        raise PermissionDenied("Only a council's analysts, managers and administrators can manage its digital "
                               "support sites.")
    councils = list(db.scalars(select(Organisation).where(Organisation.id.in_(org_ids), Organisation.kind == "council")
                               .order_by(Organisation.name)))
    sources = sources_of(db, org_ids)
    names = {c.id: c.name for c in councils}
    return {"councils": councils, "kinds": KINDS, "sources": [
        {"org_id": o, "council": names.get(o, ""), "source": src, "source_kind": sk, "count": n, "imported_at": at,
         "example": bool(ex), "can_clear": permissions.can(user, "inclusion.provision.clear", o)}
        for o, src, sk, n, at, ex in sources]}


@router.get("/map/provision", include_in_schema=False)
def manage_page(request: Request, done: str | None = None, db: Session = Depends(get_db),
                user: User = Depends(require_user)) -> Response:
    """Manage a council's digital support sites: import a file, see and remove sources."""
    return render(request, "inclusion/provision/manage.html", {**_manage_context(db, user), "errors": {},
                                                               "faults": [], "done": done})


@router.post("/map/provision", include_in_schema=False)
def manage_import(request: Request, form: FormData = Depends(form_data), db: Session = Depends(get_db),
                  user: User = Depends(require_user)) -> Response:
    """Import a council's digital support sites from a CSV or an Open Referral UK file."""
    from boroughs.core.models import Organisation
    from boroughs.inclusion.provision import importer

    errors: dict[str, str] = {}
    faults: list[Any] = []
    upload = form.get("file")
    org_text = str(form.get("council") or "")
    kind = str(form.get("kind") or "") or None
    source = str(form.get("source") or "").strip() or None
    org = db.get(Organisation, int(org_text)) if org_text.isdigit() and len(org_text) < 10 else None
    if org is None:
        errors["council"] = "Choose the council the sites belong to"
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = "Choose a CSV or Open Referral UK JSON file"
    if not errors and org is not None and isinstance(upload, UploadFile):
        raw = upload.file.read(20_000_001)
        name = upload.filename or "upload"
        if len(raw) > 20_000_000:
            errors["file"] = "The file is larger than 20 MB"
        else:
            try:
                result = importer.import_bytes(db, name, raw, org, actor=user, source=source, kind=kind)
            except importer.ImportFailed as exc:
                errors["file"] = f"{name}: nothing was imported: {len(exc.faults)} row(s) need correcting"
                faults = exc.faults
            except (BoroughsError, ValueError) as exc:
                errors["file"] = str(exc)
            else:
                audit.record(db, "inclusion.provision.import", actor=user, organisation_id=org.id,
                             object_type="provision_source", object_id=result.source,
                             detail={"imported": result.imported, "replaced": result.replaced,
                                     "skipped": len(result.skipped), "format": result.source_kind})
                done = (f"Imported {result.imported} site{'s' if result.imported != 1 else ''} for {org.name} from "
                        f"{result.source} ({result.replaced} earlier rows replaced, {len(result.skipped)} skipped).")
                return RedirectResponse("/map/provision?" + urlencode({"done": done}), status_code=303)
    ctx = _manage_context(db, user)
    return render(request, "inclusion/provision/manage.html",
                  {**ctx, "errors": errors, "faults": faults, "done": None, "chosen": org_text, "chosen_kind": kind or "",
                   "source": source or ""}, 422)


@router.post("/map/provision/clear", include_in_schema=False)
def manage_clear(request: Request, form: FormData = Depends(form_data), db: Session = Depends(get_db),
                 user: User = Depends(require_user)) -> Response:
    """Remove the sites of one source."""
    from boroughs.core.models import Organisation
    from boroughs.inclusion.provision import importer

    org_text = str(form.get("council") or "")
    org = db.get(Organisation, int(org_text)) if org_text.isdigit() and len(org_text) < 10 else None
    source = str(form.get("source") or "")
    if org is None or not source:
        raise NotFound("No such source of sites.")
    n = importer.clear(db, org, source=source, actor=user)
    audit.record(db, "inclusion.provision.clear", actor=user, organisation_id=org.id, object_type="provision_source",
                 object_id=source, detail={"removed": n})
    return RedirectResponse("/map/provision?" + urlencode({"done": f"Removed {n} sites from {source}."}),
                            status_code=303)


router.include_router(api)
