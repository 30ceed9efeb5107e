"""The directory written as Open Referral UK 3.0: single objects and ``service_list`` pages, as the ORUK
read API and ``boroughs support directory export-oruk`` give them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.support.directory.models import (
    DirLocation,
    DirOrganisation,
    DirService,
    DirTaxonomy,
    DirTerm,
)
from boroughs.support.directory.oruk.schema import STATUSES, UUID_NS

# ---------------------------------------------------------------------------------------------- export

def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def organisation_json(org: DirOrganisation, *, services: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out = _drop_none({
        "id": org.uuid,
        "name": org.name,
        "description": org.description or org.name,
        "email": org.email,
        "website": org.website,
    })
    if services is not None:
        out["services"] = services
    return out


def term_json(term: DirTerm) -> dict[str, Any]:
    parent = term_parent_uuid(term)
    return _drop_none({
        "id": term.uuid,
        "name": term.name,
        "description": term.description or term.name,
        "parent_id": parent,
        "taxonomy": term.taxonomy.name,
        "taxonomy_id": term.taxonomy.uuid,
        "term": term.code,
    })


def term_parent_uuid(term: DirTerm) -> str | None:
    if term.parent_id is None:
        return None
    from sqlalchemy.orm import object_session

    s = object_session(term)
    parent = s.get(DirTerm, term.parent_id) if s is not None else None
    return parent.uuid if parent is not None else None


def taxonomy_json(tax: DirTaxonomy, *, with_terms: bool = True) -> dict[str, Any]:
    out = _drop_none({"id": tax.uuid, "name": tax.name, "description": tax.description or tax.name,
                      "uri": tax.uri, "version": tax.version})
    if with_terms:
        out["taxonomy_terms"] = [term_json(t) for t in tax.terms]
    return out


def location_json(loc: DirLocation) -> dict[str, Any]:
    out = _drop_none({
        "id": loc.uuid,
        "location_type": loc.location_type,
        "name": loc.name,
        "description": loc.description,
        "latitude": loc.latitude,
        "longitude": loc.longitude,
    })
    if loc.address_1 and loc.postcode:
        out["addresses"] = [{
            "id": str(uuid.uuid5(UUID_NS, "address:" + loc.uuid)),
            "location_id": loc.uuid,
            "address_1": loc.address_1,
            "city": loc.city or "",
            "state_province": "Greater London" if (loc.borough_code or "").startswith("E09") else "",
            "postal_code": loc.postcode,
            "country": "GB",
            "address_type": "postal" if loc.location_type == "postal" else "physical",
        }]
    return out


def service_json(svc: DirService, *, nested: bool = True) -> dict[str, Any]:
    """One service as ORUK 3.0 ``service.json`` (fully nested when ``nested``)."""
    out = _drop_none({
        "id": svc.uuid,
        "organization_id": svc.organisation.uuid,
        "name": svc.name,
        "description": svc.description or None,
        "url": svc.url,
        "email": svc.email,
        "status": svc.status if svc.status in STATUSES else "active",
        "fees": svc.fees,
        "accreditations": svc.accreditations,
        "minimum_age": svc.minimum_age,
        "maximum_age": svc.maximum_age,
        "assured_date": svc.assured_date,
        "last_modified": _iso(svc.last_modified),
    })
    if not nested:
        return out
    out["organization"] = organisation_json(svc.organisation)
    out["service_at_locations"] = [
        {"id": loc.sal_uuid, "service_id": svc.uuid, "location_id": loc.uuid, "location": location_json(loc)}
        for loc in svc.locations
    ]
    out["schedules"] = [
        _drop_none({"id": s.uuid, "service_id": svc.uuid, "freq": s.freq, "byday": s.byday,
                    "opens_at": s.opens_at, "closes_at": s.closes_at, "description": s.description})
        for s in svc.schedules
    ]
    out["contacts"] = [_drop_none({"id": c.uuid, "service_id": svc.uuid, "name": c.name, "title": c.title})
                       for c in svc.contacts]
    out["attributes"] = [
        {"id": str(uuid.uuid5(UUID_NS, f"attribute:{svc.uuid}:{t.uuid}")), "link_id": svc.uuid,
         "link_type": "service", "taxonomy_term_id": t.uuid, "taxonomy_term": term_json(t)}
        for t in svc.terms
    ]
    return out


def page(contents: list[dict[str, Any]], *, total: int, page_number: int = 1, per_page: int | None = None) -> dict[str, Any]:
    size = len(contents)
    per = per_page or max(size, 1)
    total_pages = max(1, -(-total // per)) if total else 1
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": size,
        "first_page": page_number == 1,
        "last_page": page_number >= total_pages,
        "empty": size == 0,
        "contents": contents,
    }


def export_service_list(db: Session) -> dict[str, Any]:
    """The whole directory as one ORUK 3.0 ``service_list`` page, every service fully nested."""
    services = db.scalars(select(DirService).order_by(DirService.name, DirService.id)).unique().all()
    contents = [service_json(s) for s in services]
    return page(contents, total=len(contents))
