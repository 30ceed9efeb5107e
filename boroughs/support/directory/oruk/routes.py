"""The Open Referral UK 3.0 read API, as ``../shared/specs/oruk/3.0/openapi.json`` describes it, under
``/api/oruk`` (``GET /api/oruk/services``, ``/services/{id}``, ``/service_at_locations``, ``/organizations``,
``/taxonomies``, ``/taxonomy_terms`` and their ``{id}`` forms, and ``/`` for the API details).

Public and read-only: the directory is open data. Pages follow the ORUK page envelope (``total_items``,
``total_pages``, ``page_number``, ``size``, ``first_page``, ``last_page``, ``empty``, ``contents``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from boroughs.core.errors import NotFound
from boroughs.support.directory.models import (
    DirLocation,
    DirOrganisation,
    DirService,
    DirTaxonomy,
    DirTerm,
    service_term,
)
from boroughs.support.directory.oruk import export as oruk_export
from boroughs.support.directory.oruk import schema as oruk_schema
from boroughs.web.deps import get_db

router = APIRouter(prefix="/api/oruk", tags=["Open Referral UK 3.0"])
MAX_PER_PAGE = 500


def _page_of(db: Session, stmt: Select[Any], page: int, per_page: int) -> tuple[list[Any], int]:
    total = int(db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    rows = list(db.scalars(stmt.offset((page - 1) * per_page).limit(per_page)).unique())
    return rows, total


def _json(body: Any) -> JSONResponse:
    return JSONResponse(body)


@router.get("/", summary="API details")
def api_root(request: Request) -> JSONResponse:
    return _json(oruk_schema.api_details(str(request.base_url).rstrip("/") + "/api/openapi.json"))


@router.get("/services", summary="Services (a service_list page)")
def services(
    db: Session = Depends(get_db),
    search: str | None = None,
    page: int = Query(1, ge=1),
    per_page: int = Query(50, ge=1, le=MAX_PER_PAGE),
    taxonomy_term_id: str | None = None,
    taxonomy_id: str | None = None,
    organization_id: str | None = None,
    modified_after: str | None = None,
    minimal: bool = False,
    full: bool = True,
) -> JSONResponse:
    stmt = select(DirService).join(DirOrganisation)
    if search:
        like = f"%{search}%"
        stmt = stmt.where(or_(DirService.name.ilike(like), DirService.description.ilike(like)))
    if taxonomy_term_id:
        stmt = stmt.where(DirService.id.in_(select(service_term.c.service_id).join(DirTerm, DirTerm.id == service_term.c.term_id)
                                            .where(DirTerm.uuid == taxonomy_term_id)))
    if taxonomy_id:
        stmt = stmt.where(DirService.id.in_(
            select(service_term.c.service_id).join(DirTerm, DirTerm.id == service_term.c.term_id)
            .join(DirTaxonomy).where(DirTaxonomy.uuid == taxonomy_id)))
    if organization_id:
        stmt = stmt.where(DirOrganisation.uuid == organization_id)
    if modified_after:
        try:
            after = dt.datetime.fromisoformat(modified_after.replace("Z", "+00:00"))
        except ValueError:
            return JSONResponse({"detail": "modified_after must be a date-time such as 2026-01-31T00:00:00Z"}, 400)
        if after.tzinfo is None:
            after = after.replace(tzinfo=dt.UTC)
        stmt = stmt.where(DirService.last_modified >= after)
    rows, total = _page_of(db, stmt.order_by(DirService.name, DirService.id), page, per_page)
    if minimal:
        contents = [{"id": s.uuid, "name": s.name, "status": s.status,
                     "last_modified": oruk_export.service_json(s, nested=False)["last_modified"]} for s in rows]
    else:
        contents = [oruk_export.service_json(s, nested=full) for s in rows]
        if not full:
            for c, s in zip(contents, rows, strict=True):
                c["organization"] = oruk_export.organisation_json(s.organisation)
    return _json(oruk_export.page(contents, total=total, page_number=page, per_page=per_page))


@router.get("/services/{id}", summary="One service, fully nested")
def service(id: str, db: Session = Depends(get_db)) -> JSONResponse:
    svc = db.scalar(select(DirService).where(DirService.uuid == id))
    if svc is None:
        raise NotFound("No service has this id.")
    return _json(oruk_export.service_json(svc))


@router.get("/organizations", summary="Organisations (an organization_list page)")
def organizations(db: Session = Depends(get_db), search: str | None = None, page: int = Query(1, ge=1),
                  per_page: int = Query(50, ge=1, le=MAX_PER_PAGE)) -> JSONResponse:
    stmt = select(DirOrganisation)
    if search:
        stmt = stmt.where(DirOrganisation.name.ilike(f"%{search}%"))
    rows, total = _page_of(db, stmt.order_by(DirOrganisation.name, DirOrganisation.id), page, per_page)
    return _json(oruk_export.page([oruk_export.organisation_json(o) for o in rows], total=total, page_number=page,
                           per_page=per_page))


@router.get("/organizations/{id}", summary="One organisation with its services")
def organization(id: str, db: Session = Depends(get_db), full_service: bool = False) -> JSONResponse:
    org = db.scalar(select(DirOrganisation).where(DirOrganisation.uuid == id))
    if org is None:
        raise NotFound("No organisation has this id.")
    return _json(oruk_export.organisation_json(org, services=[oruk_export.service_json(s, nested=full_service) for s in org.services]))


def _sal_json(loc: DirLocation) -> dict[str, Any]:
    return {"id": loc.sal_uuid, "service_id": loc.service.uuid, "location_id": loc.uuid,
            "location": oruk_export.location_json(loc), "service": oruk_export.service_json(loc.service, nested=False)}


@router.get("/service_at_locations", summary="Services at locations (a service_at_location_list page)")
def service_at_locations(db: Session = Depends(get_db), search: str | None = None, page: int = Query(1, ge=1),
                         per_page: int = Query(50, ge=1, le=MAX_PER_PAGE), postcode: str | None = None) -> JSONResponse:
    stmt = select(DirLocation).join(DirService)
    if search:
        stmt = stmt.where(DirService.name.ilike(f"%{search}%"))
    if postcode:
        stmt = stmt.where(func.replace(func.upper(DirLocation.postcode), " ", "") == postcode.replace(" ", "").upper())
    rows, total = _page_of(db, stmt.order_by(DirLocation.id), page, per_page)
    return _json(oruk_export.page([_sal_json(loc) for loc in rows], total=total, page_number=page, per_page=per_page))


@router.get("/service_at_locations/{id}", summary="One service at a location")
def service_at_location(id: str, db: Session = Depends(get_db)) -> JSONResponse:
    loc = db.scalar(select(DirLocation).where(DirLocation.sal_uuid == id))
    if loc is None:
        raise NotFound("No service_at_location has this id.")
    body = _sal_json(loc)
    body["service"] = oruk_export.service_json(loc.service)
    return _json(body)


@router.get("/taxonomies", summary="Taxonomies (a taxonomy_list page)")
def taxonomies(db: Session = Depends(get_db), search: str | None = None, page: int = Query(1, ge=1),
               per_page: int = Query(50, ge=1, le=MAX_PER_PAGE)) -> JSONResponse:
    stmt = select(DirTaxonomy)
    if search:
        stmt = stmt.where(DirTaxonomy.name.ilike(f"%{search}%"))
    rows, total = _page_of(db, stmt.order_by(DirTaxonomy.name, DirTaxonomy.id), page, per_page)
    return _json(oruk_export.page([oruk_export.taxonomy_json(t) for t in rows], total=total, page_number=page, per_page=per_page))


@router.get("/taxonomies/{id}", summary="One taxonomy")
def taxonomy(id: str, db: Session = Depends(get_db)) -> JSONResponse:
    t = db.scalar(select(DirTaxonomy).where(DirTaxonomy.uuid == id))
    if t is None:
        raise NotFound("No taxonomy has this id.")
    return _json(oruk_export.taxonomy_json(t))


@router.get("/taxonomy_terms", summary="Taxonomy terms (a taxonomy_term_list page)")
def taxonomy_terms(db: Session = Depends(get_db), search: str | None = None, page: int = Query(1, ge=1),
                   per_page: int = Query(50, ge=1, le=MAX_PER_PAGE), taxonomy_id: str | None = None,
                   top_only: bool = False, parent_id: str | None = None) -> JSONResponse:
    stmt = select(DirTerm).join(DirTaxonomy)
    if search:
        stmt = stmt.where(DirTerm.name.ilike(f"%{search}%"))
    if taxonomy_id:
        stmt = stmt.where(DirTaxonomy.uuid == taxonomy_id)
    if top_only:
        stmt = stmt.where(DirTerm.parent_id.is_(None))
    if parent_id:
        parent = db.scalar(select(DirTerm).where(DirTerm.uuid == parent_id))
        stmt = stmt.where(DirTerm.parent_id == (parent.id if parent else -1))
    rows, total = _page_of(db, stmt.order_by(DirTerm.name, DirTerm.id), page, per_page)
    return _json(oruk_export.page([oruk_export.term_json(t) for t in rows], total=total, page_number=page, per_page=per_page))


@router.get("/taxonomy_terms/{id}", summary="One taxonomy term")
def taxonomy_term(id: str, db: Session = Depends(get_db)) -> JSONResponse:
    t = db.scalar(select(DirTerm).where(DirTerm.uuid == id))
    if t is None:
        raise NotFound("No taxonomy term has this id.")
    return _json(oruk_export.term_json(t))
