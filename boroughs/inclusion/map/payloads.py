"""The bytes the map downloads: TopoJSON boundaries and compact column-wise attributes.

Everything here is computed once per built index and kept in memory (and the boundaries also on disk
under ``OUT/map/``); :mod:`boroughs.inclusion.web.responses` serves it already gzipped, with an ETag, so
the API answers in well under a millisecond of work. The LSOA boundaries travel as quantised, lightly simplified TopoJSON without properties: the n-th
geometry is the n-th area of :attr:`MapIndex.frame`, whose codes and values travel in ``/map-data``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from boroughs.config import get_settings
from boroughs.core import geography
from boroughs.core.datasets import sha256
from boroughs.inclusion.map.index import MapIndex

# Quantisation (about 1.2 m in London) and simplification tolerance (degrees, about 2 m): invisible at
# any zoom a council officer uses, and the LSOA layer shrinks from 2 MB to about 250 KB gzipped.
QUANTIZE = 5e4
SIMPLIFY = {"lsoa21": 0.00002, "ward": 0.00004, "borough": 0.0001}
LAYER_CODES = {"lsoa21": "lsoa21_code", "ward": "ward22_code", "borough": "ltla21_code"}


def rounded(values: np.ndarray, digits: int = 4) -> list[float | None]:
    out: list[float | None] = []
    for v in values.tolist():
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            out.append(None)
        elif isinstance(v, int | np.integer):
            out.append(int(v))
        else:
            out.append(float(f"{v:.{digits}g}"))
    return out


def dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


# ---- boundaries --------------------------------------------------------------------------------

def topology(index: MapIndex, kind: str) -> bytes:
    """TopoJSON for ``lsoa21`` (in the index's order), ``ward`` or ``borough``; cached in ``OUT/map/``."""
    data_dir = Path(get_settings().data_dir)
    ds = geography.LAYERS[kind].dataset
    source = ds.full_path(data_dir)
    digest = sha256(source)[:16]
    folder = index.out_dir / "map"
    target = folder / f"{kind}-{digest}.topo.json"
    if target.is_file():
        return target.read_bytes()
    import geopandas as gpd
    import topojson as tp

    gdf = gpd.read_file(source)
    code = LAYER_CODES[kind]
    if kind == "lsoa21":
        order = {c: i for i, c in enumerate(index.frame["code"])}
        gdf["_order"] = gdf[code].map(order)
        if gdf["_order"].isna().any():
            raise ValueError(f"{source} has areas that are not in the index")
        gdf = gdf.sort_values("_order")
    gdf = gdf[["geometry"]].reset_index(drop=True)
    topo = tp.Topology(gdf, prequantize=QUANTIZE, toposimplify=SIMPLIFY[kind], presimplify=False)
    doc = json.loads(str(topo.to_json()))
    for geom in doc["objects"]["data"]["geometries"]:
        geom.pop("properties", None)
        geom.pop("id", None)
    body = dumps(doc)
    try:  # a cache only: a read-only output folder just means building it again after a restart
        folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(body)
        tmp.replace(target)
    except OSError:
        pass
    return body


def _label_points(kind: str) -> dict[str, tuple[float, float]]:
    import geopandas as gpd

    data_dir = Path(get_settings().data_dir)
    gdf = gpd.read_file(geography.LAYERS[kind].dataset.full_path(data_dir))
    points = gdf.geometry.representative_point()
    return {str(c): (round(float(p.x), 5), round(float(p.y), 5)) for c, p in zip(gdf[LAYER_CODES[kind]], points,
                                                                                   strict=True)}


# ---- attributes --------------------------------------------------------------------------------

def first_view(index: MapIndex) -> dict[str, Any]:
    """Everything the map needs for its first view: codes, names, places, the overall and need scores."""
    frame = index.frame
    boroughs = index.boroughs
    b_pos = {c: i for i, c in enumerate(boroughs["code"])}
    wards = index.wards
    w_pos = {c: i for i, c in enumerate(wards["code"])}
    ward_points = _label_points("ward")
    if index.mode == "additive":
        # Re-weighting multiplies each need type's contribution; ranks at the published weights are the
        # build's own (its raw score has more digits than travel here).
        _, ranks = index.evaluate()
        values = {"score": rounded(index.values("score"), 6), "rank": [int(r) for r in ranks]}
        for t in index.need_types:
            values[f"contrib:{t.id}"] = rounded(frame[t.contrib].to_numpy(dtype=float), 6)  # type: ignore[index]
    else:
        values = {"score": rounded(index.values("score"), 6)}
        for t in index.need_types:
            values[f"need:{t.id}"] = rounded(frame[t.column].to_numpy(dtype=float), 6)
    return {
        "version": hashlib.sha1(index.version.encode()).hexdigest()[:12],
        "count": index.n,
        "codes": frame["code"].tolist(),
        "names": frame["name"].tolist(),
        "borough": [b_pos.get(c, -1) for c in frame["borough_code"]],
        "ward": [w_pos.get(c, -1) if isinstance(c, str) else -1 for c in frame["ward_code"]],
        "boroughs": [{"code": r.code, "name": r.name, "bbox": [round(r.minx, 5), round(r.miny, 5), round(r.maxx, 5),
                                                               round(r.maxy, 5)],
                      "label": [round(r.lon, 5), round(r.lat, 5)]} for r in boroughs.itertuples()],
        "wards": [{"code": r.code, "name": r.name, "borough": b_pos.get(r.borough_code, -1),
                   "label": ward_points.get(r.code)} for r in wards.itertuples()],
        "mode": index.mode,
        "need_types": [{"id": t.id, "name": t.name, "description": t.description, "weight": t.weight}
                       for t in index.need_types],
        "layers": [layer.as_dict() for layer in index.layers],
        "area_types": index.area_types,
        "values": values,
    }


def layer_values(index: MapIndex, layer_id: str) -> dict[str, Any]:
    layer = index.layer(layer_id)
    raw = index.values(layer_id)
    if layer.kind == "category":
        return {"id": layer_id, "values": [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                                            for v in raw.tolist()]}
    return {"id": layer_id, "values": rounded(raw.astype(float))}


def json_safe(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null, NumPy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value
