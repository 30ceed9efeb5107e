"""Loading the built index for the map: :func:`get_index` reads ``OUT/lsoa21.csv`` and ``manifest.json``,
joins them to London's geography and keeps the :class:`~boroughs.inclusion.map.index.MapIndex` until the
files change."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd

from boroughs.config import get_settings
from boroughs.core import geography
from boroughs.core.errors import NotFound
from boroughs.inclusion.map.index import MapIndex
from boroughs.inclusion.map.profile import prepare
from boroughs.inclusion.map.schema import schema

INDEX_FILE = "lsoa21.csv"
MANIFEST_FILE = "manifest.json"


class IndexMissing(NotFound):
    """No built index in the output folder."""


_lock = threading.Lock()
_cached: dict[str, MapIndex] = {}
# when get_index last compared a folder's files (time.monotonic()), by the folder as configured
_checked: dict[str, tuple[str, float]] = {}
RECHECK_SECONDS = 2.0


def out_dir() -> Path:
    return Path(get_settings().out_dir)


def index_available(directory: Path | None = None) -> bool:
    return ((directory or out_dir()) / INDEX_FILE).is_file()


def _stamp(directory: Path) -> str:
    parts = []
    for name in (INDEX_FILE, MANIFEST_FILE):
        path = directory / name
        if path.exists():
            st = path.stat()
            parts.append(f"{name}:{st.st_mtime_ns}:{st.st_size}")
    return "|".join(parts)


def get_index(directory: Path | None = None, data_dir: Path | None = None) -> MapIndex:
    """The index in ``directory`` (default: the configured output folder), cached until its files change
    (looked at no more often than every ``RECHECK_SECONDS``: a busy server does not stat them per request)."""
    if directory is None and (recent := recent_index()) is not None:
        return recent
    configured = str(directory or out_dir())
    directory = Path(configured).resolve()
    if not (directory / INDEX_FILE).is_file():
        raise IndexMissing(
            f"No inclusion index has been built in {directory}. Run `boroughs inclusion build --out {directory}` "
            "(or `boroughs demo seed` in demo mode), then reload this page."
        )
    stamp = _stamp(directory)
    key = str(directory)
    found = _cached.get(key)
    if found is not None and found.cache.get("_stamp") == stamp:
        _checked[configured] = (key, time.monotonic())
        return found
    with _lock:
        found = _cached.get(key)
        if found is not None and found.cache.get("_stamp") == stamp:
            _checked[configured] = (key, time.monotonic())
            return found
        index = load_index(directory, data_dir)
        index.cache["_stamp"] = stamp
        prepare(index)
        _cached[key] = index
        _checked[configured] = (key, time.monotonic())
        return index


def recent_index() -> MapIndex | None:
    """The configured folder's index if :func:`get_index` checked its files in the last
    ``RECHECK_SECONDS`` — read from memory alone, so an ``async`` route can use it on the event loop; otherwise
    ``None`` (call :func:`get_index` off the loop), as also when the settings are not yet read (reading them
    looks for the data folder on disk)."""
    if not get_settings.cache_info().currsize:
        return None
    key, at = _checked.get(str(out_dir()), ("", float("-inf")))
    found = _cached.get(key)
    if found is None or time.monotonic() - at > RECHECK_SECONDS:
        return None
    return found


def clear_cache() -> None:
    _cached.clear()
    _checked.clear()


def _read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST_FILE
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def load_index(directory: Path, data_dir: Path | None = None) -> MapIndex:
    """Read the build's outputs and London's geography (no caching; see :func:`get_index`)."""
    manifest = _read_manifest(directory)
    raw = pd.read_csv(directory / INDEX_FILE, dtype={"lsoa21_code": "string"})
    data_dir = data_dir or get_settings().data_dir
    found = schema(raw, manifest, directory, data_dir)

    lsoa = geography.read_layer("lsoa21", data_dir)[["lsoa21_code", "lsoa21_name", "ltla24_code"]]
    wards = geography.read_lookup_21_ward(data_dir)
    ward_of = wards.set_index("lsoa21_code")["ward24_code"]
    frame = lsoa.rename(columns={"lsoa21_code": "code", "lsoa21_name": "name", "ltla24_code": "borough_code"})
    frame["ward_code"] = frame["code"].map(ward_of)
    frame = frame.astype({"code": str, "name": str, "borough_code": str})
    data = found.frame.set_index("lsoa21_code")
    unknown = sorted(set(data.index) - set(frame["code"]))
    if unknown:
        raise NotFound(f"The index in {directory} has codes that are not London LSOAs (2021), e.g. {unknown[0]}.")
    data = data.drop(columns=[c for c in ("name", "borough_code", "ward_code") if c in data.columns])
    frame = frame.join(data, on="code").reset_index(drop=True)

    borough_layer = geography.read_layer("borough", data_dir)
    boroughs = _borough_boxes(data_dir, borough_layer)
    ward_names = wards.drop_duplicates("ward24_code")[["ward24_code", "ward24_name", "ltla24_code"]]
    ward_frame = ward_names.rename(columns={"ward24_code": "code", "ward24_name": "name",
                                            "ltla24_code": "borough_code"}).sort_values("name")

    index = MapIndex(
        out_dir=directory,
        frame=frame,
        need_types=found.need_types,
        layers=found.layers,
        area_types=found.area_types,
        boroughs=boroughs,
        wards=ward_frame.reset_index(drop=True).astype(str),
        manifest=manifest,
        version=_stamp(directory),
        columns=found.columns,
    )
    index.position = {c: i for i, c in enumerate(frame["code"])}
    return index


def _borough_boxes(data_dir: Path, layer: pd.DataFrame) -> pd.DataFrame:
    import geopandas as gpd

    path = geography.BOROUGHS.full_path(data_dir)
    gdf = gpd.read_file(path)
    bounds = gdf.geometry.bounds
    points = gdf.geometry.representative_point()
    out = pd.DataFrame({
        "code": gdf["ltla21_code"].astype(str), "name": gdf["ltla21_name"].astype(str),
        "minx": bounds["minx"], "miny": bounds["miny"], "maxx": bounds["maxx"], "maxy": bounds["maxy"],
        "lon": points.x, "lat": points.y,
    })
    return out.sort_values("name").reset_index(drop=True)
