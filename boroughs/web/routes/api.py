"""The core JSON API under ``/api/v1``: health and London's geography."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from boroughs.core import geography
from boroughs.web.deps import get_db

router = APIRouter(prefix="/api/v1", tags=["geography"])


class AreaOut(BaseModel):
    code: str
    name: str
    kind: str
    borough_code: str | None = None
    ward_code: str | None = None
    msoa_code: str | None = None


class AreaList(BaseModel):
    count: int
    items: list[AreaOut]


def _list(db: Session, kind: str, borough: str | None) -> AreaList:
    if borough and geography.area(db, borough, "borough") is None:
        raise HTTPException(404, f"{borough} is not a London borough code (E09000001 to E09000033).")
    items = [AreaOut(code=a.code, name=a.name, kind=a.kind, borough_code=a.borough_code, ward_code=a.ward_code,
                     msoa_code=a.msoa_code) for a in geography.areas_in(db, kind, borough)]
    return AreaList(count=len(items), items=items)


@router.get("/geography/boroughs", response_model=AreaList, summary="London's 33 boroughs")
def list_boroughs(db: Session = Depends(get_db)) -> AreaList:
    return _list(db, "borough", None)


@router.get("/geography/wards", response_model=AreaList, summary="Wards (2022/2024), optionally in one borough")
def list_wards(borough: str | None = Query(None, description="ONS borough code, e.g. E09000025"),
               db: Session = Depends(get_db)) -> AreaList:
    return _list(db, "ward", borough)


@router.get("/geography/msoa21", response_model=AreaList, summary="MSOAs (2021), optionally in one borough")
def list_msoa21(borough: str | None = Query(None, description="ONS borough code"), db: Session = Depends(get_db)) -> AreaList:
    return _list(db, "msoa21", borough)


@router.get("/geography/lsoa21", response_model=AreaList, summary="LSOAs (2021), optionally in one borough")
def list_lsoa21(borough: str | None = Query(None, description="ONS borough code"), db: Session = Depends(get_db)) -> AreaList:
    return _list(db, "lsoa21", borough)


@router.get("/geography/lsoa11", response_model=AreaList, summary="LSOAs (2011), optionally in one borough")
def list_lsoa11(borough: str | None = Query(None, description="ONS borough code"), db: Session = Depends(get_db)) -> AreaList:
    return _list(db, "lsoa11", borough)


@router.get("/geography/areas/{code}", response_model=list[AreaOut], summary="Every area with this code")
def get_area(code: str, db: Session = Depends(get_db)) -> list[AreaOut]:
    from sqlalchemy import select

    from boroughs.core.models import Area

    rows = list(db.scalars(select(Area).where(Area.code == code)))
    if not rows:
        raise HTTPException(404, f"No London area has the code {code}.")
    return [AreaOut(code=a.code, name=a.name, kind=a.kind, borough_code=a.borough_code, ward_code=a.ward_code,
                    msoa_code=a.msoa_code) for a in rows]


@router.get("/geography/boundaries/{kind}", summary="Boundaries of a layer as GeoJSON (EPSG:4326)",
            response_class=Response)
def boundaries(kind: str, request: Request) -> Response:
    if kind not in geography.LAYERS:
        raise HTTPException(404, f"Unknown layer {kind!r}; choose one of {', '.join(geography.LAYERS)}.")
    body = geography.boundary_geojson(kind, str(request.app.state.settings.data_dir))
    return Response(body, media_type="application/geo+json", headers={"Cache-Control": "public, max-age=3600"})
