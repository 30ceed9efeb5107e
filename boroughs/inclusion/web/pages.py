"""The inclusion map's pages: ``/map`` (map), ``/map/table``, area profiles, borough dashboards and briefings.

Everything here shows open data only (no personal data), so the pages are public: anyone, signed in or
not, can use the map and print a briefing. The JSON API is in :mod:`boroughs.inclusion.web.api`; the
briefings' chart and PDFs in :mod:`boroughs.inclusion.web.briefings`.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from boroughs.config import get_settings
from boroughs.core.errors import NotFound
from boroughs.core.postcodes import lookup_path as postcode_lookup_path
from boroughs.inclusion.map.index import MapIndex
from boroughs.inclusion.map.loading import IndexMissing, get_index
from boroughs.inclusion.map.profile import borough_summary, format_value, profile
from boroughs.inclusion.map.table import SORTS, selection
from boroughs.inclusion.provision.service import KINDS, area_gap, borough_gaps
from boroughs.inclusion.web.briefings import chart, pdf_response
from boroughs.inclusion.web.provision import GAP_LAYER
from boroughs.web.deps import get_db
from boroughs.web.templating import env, render

router = APIRouter()

PAGE_SIZE = 50


def _weights_query(index: MapIndex, weights: dict[str, float]) -> str:
    if index.is_default(weights):
        return ""
    return ",".join(f"{k}:{v:g}" for k, v in weights.items())


def _common(index: MapIndex) -> dict[str, Any]:
    return {"index": index, "boroughs": index.boroughs.to_dict("records"), "need_types": index.need_types,
            "fmt": format_value}


@router.get("/map", include_in_schema=False)
def map_page(request: Request) -> Response:
    """The digital exclusion map."""
    settings = get_settings()
    try:
        index = get_index()
    except IndexMissing:
        return render(request, "inclusion/not_built.html",
                      {"data_dir": settings.data_dir, "out_dir": Path(settings.out_dir).resolve()}, 503)
    groups: dict[str, list[Any]] = {}
    for layer in index.layers:
        groups.setdefault(layer.group, []).append(layer)
    return render(request, "inclusion/map.html", {
        **_common(index), "layer_groups": groups,
        "basemap_url": settings.basemap_url, "basemap_attribution": settings.basemap_attribution,
        "postcodes": postcode_lookup_path() is not None,
        "gap_layer": GAP_LAYER, "provision_kinds": KINDS,
        "london_bbox": [round(float(index.boroughs["minx"].min()), 5), round(float(index.boroughs["miny"].min()), 5),
                        round(float(index.boroughs["maxx"].max()), 5), round(float(index.boroughs["maxy"].max()), 5)],
    })


@router.get("/map/table", include_in_schema=False)
def table_page(request: Request, borough: str | None = None, ward: str | None = None, q: str | None = None,
               decile: int | None = Query(None, ge=1, le=10), sort: str = "rank",
               order: str = Query("asc", pattern="^(asc|desc)$"), page: int = Query(1, ge=1),
               w: str | None = None) -> Response:
    """The areas as a table, filtered and sorted (the map's accessible alternative)."""
    index = get_index()
    weights = index.parse_weights(w)
    if sort not in SORTS:
        sort = "rank"
    key = (borough or None, ward or None, q or None, decile, sort, order, page, _weights_query(index, weights))
    return render(request, "inclusion/table.html", {"content": _table_content(index, weights, key)})


TABLE_CACHE_SIZE = 256  # rendered table pages kept per index (about 60 KB each)


def _table_content(index: MapIndex, weights: dict[str, float], key: tuple[Any, ...]) -> Markup:
    """The table page's content for one set of filters: open data only, the same for everyone, so rendered
    once and kept with the index (a rebuilt index starts afresh); the oldest are dropped beyond
    ``TABLE_CACHE_SIZE``."""
    store: OrderedDict[tuple[Any, ...], Markup] = index.cache.setdefault("_table_pages", OrderedDict())
    found = store.get(key)
    if found is not None:
        return found
    borough, ward, q, decile, sort, order, page, wq = key
    rows = selection(index, weights=weights, borough=borough, ward=ward, query=q, min_decile=decile, sort=sort,
                     descending=order == "desc")
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(page, pages)
    shown = rows.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    filters = {k: v for k, v in {"borough": borough, "ward": ward, "q": q, "decile": decile, "w": wq}.items() if v}

    def link(**changes: Any) -> str:
        params = {**filters, "sort": sort, "order": order, "page": page, **changes}
        return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})

    downloads = urlencode({**filters, "sort": sort, "order": order})
    content = Markup(env.get_template("inclusion/_table_content.html").render({
        **_common(index), "rows": shown.to_dict("records"), "total": len(rows), "page": page, "pages": pages,
        "sort": sort, "order": order, "link": link, "filters": filters, "downloads": downloads,
        "borough": borough or "", "q": q or "", "decile": decile, "ward": ward or "",
        "weights_default": index.is_default(weights), "w": wq,
        "map_link": "/map?" + urlencode({k: v for k, v in {"borough": borough, "w": wq}.items() if v}),
    }))
    store[key] = content
    while len(store) > TABLE_CACHE_SIZE:
        try:
            store.popitem(last=False)
        except KeyError:  # another thread emptied it first
            break
    return content


VALIDATION_CHARTS = ("validation_scatter.svg", "validation_deciles.svg", "validation_ons.svg")


def _validation_report(index: MapIndex) -> dict[str, Any]:
    import json

    path = Path(index.out_dir) / "validation.json"
    if not path.is_file():
        raise NotFound("This build has no validation report; rebuild the index with `boroughs inclusion build`")
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


@router.get("/map/validation", include_in_schema=False)
def validation_page(request: Request) -> Response:
    """How the index is validated: against Census return behaviour and ONS's sub-region estimates."""
    index = get_index()
    report = _validation_report(index)
    names = {str(r["code"]): str(r["name"]) for r in index.boroughs.to_dict("records")}
    charts = [c for c in VALIDATION_CHARTS if (Path(index.out_dir) / c).is_file()]
    return render(request, "inclusion/validation.html", {**_common(index), "v": report, "borough_names": names,
                                                         "charts": charts})


@router.get("/map/validation/{name}", include_in_schema=False)
def validation_chart(name: str) -> Response:
    """A validation chart from the build folder (SVG drawn by matplotlib at build time)."""
    if name not in VALIDATION_CHARTS:
        raise NotFound(f"No chart called {name}")
    index = get_index()
    path = Path(index.out_dir) / name
    if not path.is_file():
        raise NotFound(f"This build has no {name}; rebuild the index")
    return Response(path.read_bytes(), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


@router.get("/map/areas/{code}", include_in_schema=False)
def area_page(request: Request, code: str, w: str | None = None, db: Session = Depends(get_db)) -> Response:
    """An area's profile: score, rank, needs and reasons (``.pdf`` for a printable briefing)."""
    index = get_index()
    if code.endswith(".pdf"):
        index.row(code[:-4])
        return pdf_response(request, f"/map/areas/{code[:-4]}", index, _q(index, index.parse_weights(w)))
    weights = index.parse_weights(w)
    data = profile(index, code, weights)
    return render(request, "inclusion/area.html", {**_common(index), "p": data, "w": _weights_query(index, weights),
                                                   "gap": area_gap(db, index, data["code"]),
                                                   "pdf_link": f"/map/areas/{data['code']}.pdf" + _q(index, weights)})


def _q(index: MapIndex, weights: dict[str, float]) -> str:
    wq = _weights_query(index, weights)
    return f"?w={wq}" if wq else ""


@router.get("/map/boroughs", include_in_schema=False)
def boroughs_page(request: Request) -> Response:
    """The London boroughs, with their figures."""
    index = get_index()
    return render(request, "inclusion/boroughs.html", _common(index))


@router.get("/map/boroughs/{code}", include_in_schema=False)
def borough_page(request: Request, code: str, w: str | None = None, db: Session = Depends(get_db)) -> Response:
    """A borough's summary: figures, most at-risk areas and comparison with London."""
    index = get_index()
    weights = index.parse_weights(w)
    data = borough_summary(index, code, weights)
    return render(request, "inclusion/borough.html", {**_common(index), "b": data, "print": False,
                                                      "gap": borough_gaps(db, index, code),
                                                      "chart": chart(data), "q": _q(index, weights)})


@router.get("/map/boroughs/{code}/briefing", include_in_schema=False)
def borough_briefing(request: Request, code: str, w: str | None = None, db: Session = Depends(get_db)) -> Response:
    """A borough's printable briefing."""
    index = get_index()
    weights = index.parse_weights(w)
    data = borough_summary(index, code, weights, top=15)
    return render(request, "inclusion/briefing.html", {**_common(index), "b": data, "print": True,
                                                       "gap": borough_gaps(db, index, code),
                                                       "chart": chart(data), "q": _q(index, weights)})


@router.get("/map/boroughs/{code}/briefing.pdf", include_in_schema=False)
def borough_briefing_pdf(request: Request, code: str, w: str | None = None) -> Response:
    """A borough's briefing as a PDF."""
    index = get_index()
    index.borough_name(code)
    return pdf_response(request, f"/map/boroughs/{code}/briefing", index, _q(index, index.parse_weights(w)))
