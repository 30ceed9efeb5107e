"""The inclusion map's JSON API under ``/api/v1/inclusion`` (documented at ``/api/docs``).

The data is open (built from open data only), so every endpoint is public. Large, unchanging bodies
(boundaries, layer values) are served pre-gzipped with an ETag; ``If-None-Match`` gives ``304``.
Weights travel as ``w=need_id:weight,...`` (a missing need keeps its published weight).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any, cast

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.requests import Request as StarletteRequest
from starlette.routing import Route

from boroughs.config import get_settings
from boroughs.core.errors import NotFound
from boroughs.inclusion.map import payloads, tiles
from boroughs.inclusion.map.index import MapIndex
from boroughs.inclusion.map.loading import get_index, recent_index
from boroughs.inclusion.map.profile import borough_summary, profile
from boroughs.inclusion.map.search import search
from boroughs.inclusion.map.table import selection
from boroughs.inclusion.web.responses import cached_response, encode, entry_response, json_response

router = APIRouter(prefix="/api/v1/inclusion", tags=["inclusion map"])

WEIGHTS = Query(None, description="Need-type weights, e.g. `connectivity:1,skills:2` (others keep their default)")


class LayerOut(BaseModel):
    id: str
    name: str
    group: str
    kind: str
    description: str
    unit: str
    higher_is_worse: bool
    palette: str


class LayerList(BaseModel):
    count: int
    items: list[LayerOut]


class SearchResult(BaseModel):
    kind: str
    label: str
    code: str
    name: str


class SearchOut(BaseModel):
    query: str
    items: list[SearchResult]


def _index() -> MapIndex:
    return get_index()


@router.get("/layers", response_model=LayerList, summary="Every layer the map can show")
def layers() -> LayerList:
    index = _index()
    return LayerList(count=len(index.layers), items=[LayerOut(**layer.as_dict()) for layer in index.layers])


@router.get("/layers/{layer_id}/values", summary="One layer's values, in the order of /map-data's codes",
            response_class=Response, responses={200: {"content": {"application/json": {}}}, 304: {}})
def layer_values(layer_id: str, request: Request) -> Response:
    index = _index()
    index.layer(layer_id)
    return cached_response(request, index, f"values:{layer_id}",
                           lambda: payloads.dumps(payloads.layer_values(index, layer_id)))


@router.get("/map-data", summary="The first view: codes, names, places, overall and need-type scores",
            response_class=Response, responses={200: {"content": {"application/json": {}}}, 304: {}})
def map_data(request: Request) -> Response:
    index = _index()
    return cached_response(request, index, "map-data", lambda: payloads.dumps(payloads.first_view(index)))


@router.get("/boundaries/{kind}.topojson", summary="Boundaries as TopoJSON: lsoa21 (in /map-data's order), ward, borough",
            response_class=Response, responses={200: {"content": {"application/json": {}}}, 304: {}})
def boundaries(kind: str, request: Request) -> Response:
    if kind not in payloads.LAYER_CODES:
        raise NotFound(f"Unknown boundary layer {kind!r}; choose lsoa21, ward or borough.")
    index = _index()
    return cached_response(request, index, f"topo:{kind}", lambda: payloads.topology(index, kind),
                           "application/json")


MVT = "application/vnd.mapbox-vector-tile"


@router.get("/tiles/lsoa21/{z}/{x}/{y}.mvt", summary="The LSOA boundaries as vector tiles (Mapbox Vector Tile)",
            description="Web Mercator tiles, zooms 0 to 12 (XYZ numbering), one layer `lsoa` whose features' "
                        "ids are positions in /map-data's codes. `204` for a tile with no area in it.",
            response_class=Response, responses={200: {"content": {MVT: {}}}, 204: {}, 304: {}})
def lsoa_tile(z: int, x: int, y: int, request: Request) -> Response:
    return _tile_response(request, tiles.tile_entry(_index(), z, x, y))


def _tile_response(request: Request | StarletteRequest, entry: tiles.Entry | None) -> Response:
    if entry is None:
        return Response(status_code=204, headers={"Cache-Control": "public, max-age=300, must-revalidate"})
    return entry_response(request, entry, MVT)


@router.get("/indicators", summary="The indicators and need types behind the index")
def indicators() -> dict[str, Any]:
    index = _index()
    return {
        "need_types": [{"id": t.id, "name": t.name, "description": t.description, "weight": t.weight}
                       for t in index.need_types],
        "indicators": [layer.as_dict() for layer in index.layers if layer.kind == "indicator"],
        "area_types": index.area_types,
    }


@router.get("/areas/{code}", summary="An area's profile: score, rank and interval, needs, reasons, residents")
def area_profile(code: str, request: Request, w: str | None = WEIGHTS) -> Response:
    return _profile_response(request, code, w)


# Profiles at the published weights are encoded for every area when the server starts (issue 13:
# ``preload_profiles``), so the profile API only looks its answer up; under other weights they are made on
# request and the last few thousand kept.
PROFILE_LEVEL = 6
MAX_WEIGHTED_PROFILES = 2000
Entry = tuple[bytes, bytes, str]


def _profile_store(index: MapIndex, name: str) -> dict[Any, Entry]:
    store: dict[Any, Entry] | None = index.cache.get(name)
    if store is None:
        store = index.cache.setdefault(name, {})
    return store


def _encode_profile(index: MapIndex, code: str, weights: dict[str, float]) -> Entry:
    return encode(payloads.dumps(payloads.json_safe(profile(index, code, weights))), PROFILE_LEVEL)


def _profiles_file(index: MapIndex) -> Path:
    """Where the profiles are kept between starts: ``OUT/map/``, named after the index's files and the code
    that makes a profile (a new build or a new version makes them again)."""
    from boroughs.inclusion.build import explain
    from boroughs.inclusion.map import profile as profile_module

    digest = hashlib.sha1(index.version.encode())
    digest.update(str(Path(get_settings().data_dir).resolve()).encode())
    for module in (profile_module, explain, payloads):
        digest.update(Path(str(module.__file__)).read_bytes())
    return index.out_dir / "map" / f"profiles-{digest.hexdigest()[:16]}.json.gz"


def preload_profiles(index: MapIndex) -> None:
    """Encode every area's profile at the published weights: read from ``OUT/map/`` when an earlier start
    kept them (about a second), else made (ten to fifteen seconds on 2 CPUs) and kept there."""
    store = _profile_store(index, "_profiles")
    codes = [str(c) for c in index.frame["code"]]
    path = _profiles_file(index)
    try:
        kept = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError, EOFError):
        kept = None
    if isinstance(kept, dict) and set(kept) == set(codes):
        for code in codes:
            store.setdefault(code, encode(str(kept[code]).encode("utf-8"), PROFILE_LEVEL))
        return
    weights = index.default_weights
    for code in codes:
        if code not in store:
            store[code] = _encode_profile(index, code, weights)
    try:  # a cache only: a read-only output folder means making them again at the next start
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(gzip.compress(payloads.dumps({c: store[c][0].decode("utf-8") for c in codes}), 6))
        tmp.replace(path)
    except OSError:
        pass


def _profile_key(index: MapIndex, code: str, w: str | None) -> tuple[dict[Any, Entry], Any]:
    code = code.strip().upper()
    index.row(code)  # NotFound for an unknown code
    if not w or index.is_default(index.parse_weights(w)):
        return _profile_store(index, "_profiles"), code
    return _profile_store(index, "_profiles_weighted"), (code, w)


def _profile_entry(index: MapIndex, code: str, w: str | None) -> Entry:
    store, key = _profile_key(index, code, w)
    entry = store.get(key)
    if entry is None:
        weights = index.parse_weights(w)
        entry = _encode_profile(index, key if isinstance(key, str) else key[0], weights)
        if store is not index.cache.get("_profiles") and len(store) >= MAX_WEIGHTED_PROFILES:
            store.clear()
        store[key] = entry
    return entry


def _profile_response(request: Request, code: str, w: str | None) -> Response:
    return entry_response(request, _profile_entry(_index(), code, w))


@router.get("/boroughs/{code}", summary="A borough's summary: figures, most at-risk areas, comparison with London")
def borough(code: str, request: Request, w: str | None = WEIGHTS) -> Response:
    index = _index()
    summary = borough_summary(index, code, index.parse_weights(w))
    summary.pop("london_scores", None)
    return json_response(request, payloads.json_safe(summary))


@router.get("/search", response_model=SearchOut, summary="Find an LSOA (code or name), ward, borough or postcode")
def find(q: str = Query(..., min_length=1, max_length=100, description="What to look for")) -> SearchOut:
    index = _index()
    return SearchOut(query=q, items=[SearchResult(**r) for r in search(index, q)])


def _select(w: str | None, borough: str | None, ward: str | None, q: str | None, decile: int | None,
            sort: str, order: str) -> tuple[MapIndex, Any]:
    index = _index()
    rows = selection(index, weights=index.parse_weights(w), borough=borough or None, ward=ward or None,
                     query=q or None, min_decile=decile, sort=sort, descending=order == "desc")
    return index, rows


SELECT_DOC = "Filter by borough (E09…), ward (E05…), text, or the most at-risk deciles; sort by a column."


@router.get("/areas", summary="Areas in a selection, as JSON (" + SELECT_DOC + ")")
def areas(request: Request, w: str | None = WEIGHTS, borough: str | None = None, ward: str | None = None,
          q: str | None = None, decile: int | None = Query(None, ge=1, le=10), sort: str = "rank",
          order: str = Query("asc", pattern="^(asc|desc)$"), limit: int = Query(100, ge=1, le=5000),
          offset: int = Query(0, ge=0)) -> Response:
    _, rows = _select(w, borough, ward, q, decile, sort, order)
    page = rows.iloc[offset:offset + limit]
    doc = {"count": len(rows), "offset": offset, "items": payloads.json_safe(page.to_dict("records"))}
    return json_response(request, doc)


@router.get("/areas.csv", summary="Download the selection as CSV", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def areas_csv(w: str | None = WEIGHTS, borough: str | None = None, ward: str | None = None, q: str | None = None,
              decile: int | None = Query(None, ge=1, le=10), sort: str = "rank",
              order: str = Query("asc", pattern="^(asc|desc)$")) -> Response:
    index, rows = _select(w, borough, ward, q, decile, sort, order)
    from boroughs.inclusion.map import downloads

    buf = io.StringIO()
    # with_indicators neutralises formula-like cells (boroughs.core.csv_safety)
    downloads.with_indicators(index, rows.drop(columns=["ward_code"])).to_csv(buf, index=False, float_format="%.6g")
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(borough, ward)}.csv"'})


@router.get("/data-dictionary.csv", summary="What every column of the CSV download means", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def data_dictionary_csv() -> Response:
    from boroughs.inclusion.map import downloads

    buf = io.StringIO()
    downloads.dictionary(_index()).to_csv(buf, index=False)
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="digital-exclusion-data-dictionary.csv"'})


@router.get("/areas.geojson", summary="Download the selection as GeoJSON (EPSG:4326)", response_class=Response,
            responses={200: {"content": {"application/geo+json": {}}}})
def areas_geojson(w: str | None = WEIGHTS, borough: str | None = None, ward: str | None = None,
                  q: str | None = None, decile: int | None = Query(None, ge=1, le=10), sort: str = "rank",
                  order: str = Query("asc", pattern="^(asc|desc)$")) -> Response:
    index, rows = _select(w, borough, ward, q, decile, sort, order)
    geoms = _geometries(index)
    features = [{"type": "Feature", "properties": props, "geometry": geoms.get(props["code"])}
                for props in payloads.json_safe(rows.drop(columns=["ward_code"]).to_dict("records"))]
    body = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    return Response(body, media_type="application/geo+json",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(borough, ward)}.geojson"'})


def _filename(borough: str | None, ward: str | None) -> str:
    return "digital-exclusion-" + (ward or borough or "london").lower()


def _geometries(index: MapIndex) -> dict[str, Any]:
    found = index.cache.get("_geometries")
    if found is None:
        from boroughs.core import geography

        doc = geography.read_geojson(geography.LSOA21, get_settings().data_dir)
        found = {f["properties"]["lsoa21_code"]: f["geometry"] for f in doc["features"]}
        index.cache["_geometries"] = found
    return found


# ---- the fast path ------------------------------------------------------------------------------
# The hottest endpoints are also served by plain Starlette routes placed before the documented FastAPI
# routes above (same paths, same functions, same responses). They skip the app-wide sign-in dependency
# (which needs a database session from the thread pool): these endpoints serve open data to anyone and
# read nothing about the user. The OpenAPI document still describes them through the routes above. They
# answer on the event loop only from memory (an index whose files were checked a moment ago, and an answer
# already encoded); anything that may read a file runs in the thread pool.


def _inline(key: str) -> MapIndex | None:
    """The index, when ``key``'s answer is already in memory and the files were checked a moment ago: then an
    ``async`` route answers on the event loop with no file or database call; otherwise ``None``."""
    index = recent_index()
    return index if index is not None and key in index.cache else None


async def _off_loop(fn: Any, *args: Any) -> Response:
    """Run ``fn`` (which may read files) in the thread pool, never on the event loop."""
    return cast(Response, await run_in_threadpool(fn, *args))


async def _fast_map_data(request: StarletteRequest) -> Response:
    index = _inline("map-data")
    if index is not None:
        return entry_response(request, index.cache["map-data"])
    return await _off_loop(map_data, request)


async def _fast_boundaries(request: StarletteRequest) -> Response:
    kind = request.path_params["kind"]
    index = _inline(f"topo:{kind}")
    if index is not None:
        return entry_response(request, index.cache[f"topo:{kind}"])
    return await _off_loop(boundaries, kind, request)


async def _fast_values(request: StarletteRequest) -> Response:
    layer_id = request.path_params["layer_id"]
    index = _inline(f"values:{layer_id}")
    if index is not None:
        return entry_response(request, index.cache[f"values:{layer_id}"])
    return await _off_loop(layer_values, layer_id, request)


async def _fast_profile(request: StarletteRequest) -> Response:
    code, w = request.path_params["code"], request.query_params.get("w")
    index = recent_index()
    entry = None
    if index is not None:
        store, key = _profile_key(index, code, w)
        entry = store.get(key)
    if entry is None:  # not made yet, or the files not checked a moment ago: off the event loop
        entry = await run_in_threadpool(lambda: _profile_entry(_index(), code, w))
    return entry_response(request, entry)


async def _fast_tile(request: StarletteRequest) -> Response:
    z, x, y = (request.path_params[k] for k in ("z", "x", "y"))
    index = recent_index()
    if index is not None:
        held, entry = tiles.cached_tile(index, z, x, y)
        if held:
            return _tile_response(request, entry)
    return await _off_loop(lsoa_tile, z, x, y, request)


async def _fast(request: StarletteRequest, handler: Any) -> Response:
    try:
        return await handler(request)
    except NotFound as exc:
        return JSONResponse({"detail": str(exc)}, status_code=404)


def _wrap(handler: Any) -> Any:
    async def endpoint(request: StarletteRequest) -> Response:
        return await _fast(request, handler)

    return endpoint


_FAST = [
    Route("/api/v1/inclusion/map-data", _wrap(_fast_map_data), methods=["GET", "HEAD"]),
    Route("/api/v1/inclusion/boundaries/{kind}.topojson", _wrap(_fast_boundaries), methods=["GET", "HEAD"]),
    Route("/api/v1/inclusion/tiles/lsoa21/{z:int}/{x:int}/{y:int}.mvt", _wrap(_fast_tile), methods=["GET", "HEAD"]),
    Route("/api/v1/inclusion/layers/{layer_id}/values", _wrap(_fast_values), methods=["GET", "HEAD"]),
    Route("/api/v1/inclusion/areas/{code:str}", _wrap(_fast_profile), methods=["GET", "HEAD"]),
]
router.routes[0:0] = _FAST
