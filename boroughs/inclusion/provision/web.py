"""Provision on the web: the API under ``/api/v1/inclusion/`` (sites, gaps, downloads) and the gap table page.

Everything here is open data (public sites and figures built from open data), so it is public, like the
rest of the map. Routes that read the database are plain ``def`` (FastAPI runs them in its thread pool).
The reach and gap tables are computed once per (index, provision, opening-hours filter) and cached.
"""

from __future__ import annotations

import io
import math
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Integer
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from boroughs.core import audit, permissions
from boroughs.core.csv_safety import safe_frame
from boroughs.core.errors import BoroughsError, NotFound, PermissionDenied
from boroughs.core.models import User
from boroughs.inclusion import map_payloads
from boroughs.inclusion.map_data import MapIndex, get_index
from boroughs.inclusion.map_profile import format_value, ward_name
from boroughs.inclusion.provision import gaps, reach
from boroughs.inclusion.provision.models import KINDS
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


# ---- the cached tables ---------------------------------------------------------------------------


def sites(db: Session) -> pd.DataFrame:
    return reach.cached(("sites", reach.signature(db)), lambda: reach.sites_frame(db))  # type: ignore[no-any-return]


def gap_table(db: Session, index: MapIndex, when: str = "any") -> pd.DataFrame:
    params = reach.WalkParams.from_settings()
    key = ("gaps", index.version, str(index.out_dir), reach.signature(db), when, params)

    def build() -> pd.DataFrame:
        frame = sites(db)
        r = reach.compute(list(index.frame["code"]), frame, when=when, params=params)
        table = gaps.compute(index, r, params)
        names = dict(zip(frame["id"], frame["name"], strict=True))
        example = dict(zip(frame["id"], frame["is_example"], strict=True))
        table["nearest_name"] = [names.get(int(i), "") for i in table["nearest_id"]]
        table["nearest_example"] = [bool(example.get(int(i), False)) for i in table["nearest_id"]]
        return table

    return reach.cached(key, build)  # type: ignore[no-any-return]


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _minutes(v: Any) -> int | None:
    f = _num(v)
    return None if f is None else max(1, round(f))


def area_gap(db: Session, index: MapIndex, code: str, when: str = "any") -> dict[str, Any]:
    """One area's reach and gap, with a plain-English sentence for the profile."""
    row = index.row(code)
    table = gap_table(db, index, when)
    r = table.iloc[row]
    params = reach.WalkParams.from_settings()
    by_kind = []
    for kind, label in KINDS.items():
        km = _num(r[f"nearest_km_{kind}"])
        if km is not None:
            by_kind.append({"kind": kind, "label": label, "km": round(km, 2),
                            "minutes": _minutes(params.walk_minutes(np.array([km * 1000]))[0])})
    nearest_km = _num(r["nearest_km"])
    residents = _num(r["residents_offline"])
    n_sites = len(sites(db))
    if nearest_km is None:
        sentence = "No digital support site is recorded" + (" that is open at these times." if when != "any" else ".")
    else:
        label = KINDS.get(str(r["nearest_kind"]), "site").lower()
        sentence = (f"Nearest {label}: {r['nearest_name']}{' (example)' if r['nearest_example'] else ''}, "
                    f"{nearest_km:.1f} km, about {_minutes(r['walk_minutes'])} minutes' walk.")
    if residents is not None:
        sentence += f" About {format_value(residents, 'people')} adults likely offline here."
    borough = str(index.frame.at[row, "borough_code"])
    return {
        "code": str(r["lsoa21_code"]), "name": str(r["name"]), "borough_code": borough, "when": when,
        "sites_recorded": n_sites, "nearest_km": nearest_km, "walk_minutes": _minutes(r["walk_minutes"]),
        "nearest_kind": str(r["nearest_kind"]) or None, "nearest_name": str(r["nearest_name"]) or None,
        "nearest_is_example": bool(r["nearest_example"]), "within_walk": int(r["within_walk"]),
        "walk_limit_minutes": params.minutes, "residents_offline": residents, "score": _num(r["score"]),
        "gap_score": _num(r["gap_score"]), "gap_rank": int(r["gap_rank"]), "borough_rank": int(r["borough_rank"]),
        "areas_in_borough": int((table["borough_code"] == borough).sum()), "areas": len(table),
        "by_kind": by_kind, "sentence": sentence,
    }


def _rows(index: MapIndex, table: pd.DataFrame) -> list[dict[str, Any]]:
    bnames = dict(zip(index.boroughs["code"], index.boroughs["name"], strict=True))
    wards = index.frame.set_index("code")["ward_code"]
    out = []
    for r in table.itertuples():
        out.append({
            "code": r.lsoa21_code, "name": r.name, "borough_code": r.borough_code,
            "borough": bnames.get(r.borough_code, ""), "ward": ward_name(index, wards.get(r.lsoa21_code)) or "",
            "score": _num(r.score), "residents_offline": _num(r.residents_offline), "nearest_km": _num(r.nearest_km),
            "walk_minutes": _minutes(r.walk_minutes), "nearest_kind": r.nearest_kind or None,
            "nearest_name": r.nearest_name or None, "nearest_is_example": bool(r.nearest_example),
            "within_walk": int(r.within_walk), "gap_score": _num(r.gap_score), "gap_rank": int(r.gap_rank),
            "borough_rank": int(r.borough_rank),
        })
    return out


def borough_gaps(db: Session, index: MapIndex, code: str, top: int = 10, when: str = "any") -> dict[str, Any]:
    """The gap figures and the biggest gaps in a borough, for its dashboard and briefing."""
    index.borough_name(code)
    table = gap_table(db, index, when)
    frame = sites(db)
    own = frame[frame["council_code"] == code]
    counts = {label: int((own["kind"] == kind).sum()) for kind, label in KINDS.items()}
    return {
        "summary": gaps.borough_summary(table, code), "rows": _rows(index, gaps.ranked(table, code, top)),
        "sites": len(own), "by_kind": {k: v for k, v in counts.items() if v},
        "examples": bool(own["is_example"].any()) if len(own) else False,
        "walk_minutes": reach.WalkParams.from_settings().minutes, "when": when,
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
    body = map_payloads.dumps({"type": "FeatureCollection", "features": features})
    return _etagged(request, body, "application/geo+json")


def _flag(v: Any) -> bool | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else bool(v)


def _etagged(request: Request, body: bytes, media_type: str) -> Response:
    etag = '"' + map_payloads.hashlib.sha1(body).hexdigest()[:20] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=60, must-revalidate"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


@api.get("/provision/kinds", summary="The kinds of digital support, with how many sites of each")
def provision_kinds(db: Session = Depends(get_db)) -> dict[str, Any]:
    frame = sites(db)
    return {"items": [{"id": k, "name": label, "count": int((frame["kind"] == k).sum())} for k, label in KINDS.items()],
            "examples": int(frame["is_example"].sum()) if len(frame) else 0}


@api.get("/gaps", summary="The gap between need and provision per area, ranked (biggest first)")
def gaps_json(request: Request, borough: str | None = None, when: str = WHEN,
              limit: int = Query(100, ge=1, le=5000), offset: int = Query(0, ge=0),
              db: Session = Depends(get_db)) -> Response:
    index = get_index()
    if borough:
        index.borough_name(borough)
    table = gap_table(db, index, when)
    ranked = gaps.ranked(table, borough or None)
    params = reach.WalkParams.from_settings()
    doc = {"when": when, "walk": {"minutes": params.minutes, "speed_kmh": params.speed_kmh, "detour": params.detour},
           "summary": gaps.borough_summary(table, borough or None), "count": len(ranked), "offset": offset,
           "items": _rows(index, ranked.iloc[offset:offset + limit])}
    return map_payloads.json_response(request, map_payloads.json_safe(doc))


@api.get("/gaps.csv", summary="Download the gap table as CSV", response_class=Response,
         responses={200: {"content": {"text/csv": {}}}})
def gaps_csv(borough: str | None = None, when: str = WHEN, db: Session = Depends(get_db)) -> Response:
    index = get_index()
    if borough:
        index.borough_name(borough)
    rows = pd.DataFrame(_rows(index, gaps.ranked(gap_table(db, index, when), borough or None)))
    buf = io.StringIO()
    safe_frame(rows).to_csv(buf, index=False, float_format="%.6g")
    name = f"digital-support-gaps-{(borough or 'london').lower()}{'' if when == 'any' else '-' + when}.csv"
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@api.get("/gaps/values", summary="The gap score of every area, in the order of /map-data's codes")
def gap_values(request: Request, when: str = WHEN, db: Session = Depends(get_db)) -> Response:
    index = get_index()
    table = gap_table(db, index, when)
    body = map_payloads.dumps({"id": "gap", "when": when,
                               "values": map_payloads._round(table["gap_score"].to_numpy(dtype=float))})
    return _etagged(request, body, "application/json")


@api.get("/gaps/areas/{code}", summary="One area's reach and gap: nearest site of each kind, walking time")
def gap_area(request: Request, code: str, when: str = WHEN, db: Session = Depends(get_db)) -> Response:
    return map_payloads.json_response(request, map_payloads.json_safe(area_gap(db, get_index(), code, when)))


# ---- pages --------------------------------------------------------------------------------------


@router.get("/map/gaps", include_in_schema=False)
def gaps_page(request: Request, borough: str | None = None, when: str = WHEN, page: int = Query(1, ge=1),
              db: Session = Depends(get_db)) -> Response:
    """Provision beside need: the areas with the biggest gap between need and nearby support."""
    index = get_index()
    if borough:
        index.borough_name(borough)
    table = gap_table(db, index, when)
    ranked = gaps.ranked(table, borough or None)
    pages = max(1, -(-len(ranked) // PAGE_SIZE))
    page = min(page, pages)
    filters = {k: v for k, v in {"borough": borough, "when": "" if when == "any" else when}.items() if v}

    def link(**changes: Any) -> str:
        return "?" + urlencode({k: v for k, v in {**filters, "page": page, **changes}.items() if v not in (None, "")})

    frame = sites(db)
    return render(request, "inclusion/provision/gaps.html", {
        "index": index, "boroughs": index.boroughs.to_dict("records"), "fmt": format_value,
        "rows": _rows(index, ranked.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]), "total": len(ranked),
        "page": page, "pages": pages, "link": link, "borough": borough or "", "when": when, "whens": reach.WHEN,
        "summary": gaps.borough_summary(table, borough or None), "downloads": urlencode(filters),
        "sites": len(frame), "examples": int(frame["is_example"].sum()) if len(frame) else 0,
        "walk": reach.WalkParams.from_settings(), "kinds": KINDS,
        "borough_name": index.borough_name(borough) if borough else "London",
    })


def _manage_context(db: Session, user: User) -> dict[str, Any]:
    from sqlalchemy import func, select

    from boroughs.core.models import Organisation
    from boroughs.inclusion.provision.models import Provision

    org_ids = permissions.orgs_where(user, "inclusion.provision.import") | permissions.orgs_where(
        user, "inclusion.provision.clear")
    if not org_ids:
        raise PermissionDenied("Only a council's analysts, managers and administrators can manage its digital "
                               "support sites.")
    councils = list(db.scalars(select(Organisation).where(Organisation.id.in_(org_ids), Organisation.kind == "council")
                               .order_by(Organisation.name)))
    sources = db.execute(
        select(Provision.organisation_id, Provision.source, Provision.source_kind, func.count(Provision.id),
               func.max(Provision.imported_at), func.max(Provision.is_example.cast(Integer)))
        .where(Provision.organisation_id.in_(org_ids))
        .group_by(Provision.organisation_id, Provision.source, Provision.source_kind)
        .order_by(Provision.organisation_id, Provision.source)).all()
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
