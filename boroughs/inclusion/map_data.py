"""What the map shows: a built index (``OUT/lsoa21.csv`` and ``manifest.json``) joined to London's geography.

The map, the table, the profiles and the briefings all read one :class:`MapIndex`, loaded from the
configured output folder (``BOROUGHS_OUT_DIR``) and cached until the files change. The index itself is
built by ``boroughs inclusion build`` (see ``docs/inclusion/``); this module only reads its outputs, so
it adapts to the columns the build writes (:func:`_schema`).

Re-weighting: the overall score under other weights is :func:`combine` of the need-type scores. The
browser does the same sum (``map.js``), so the map, the table and the downloads always agree.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boroughs.config import get_settings
from boroughs.core import geography
from boroughs.core.errors import NotFound

INDEX_FILE = "lsoa21.csv"
MANIFEST_FILE = "manifest.json"

# Okabe–Ito: safe for the common forms of colour blindness (for area types).
CATEGORICAL = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]


class IndexMissing(NotFound):
    """No built index in the output folder."""


@dataclass(frozen=True)
class LayerInfo:
    """One thing the map can colour the areas by."""

    id: str
    name: str
    group: str  # "Overall", "Type of need", "Indicator", "Area type", "Residents", "Comparison"
    kind: str  # "score" | "need" | "indicator" | "category" | "count" | "rate" | "compare"
    column: str
    description: str = ""
    unit: str = ""  # "" (a score), "%", "people"
    higher_is_worse: bool = True
    palette: str = "sequential"  # "sequential" | "categorical"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "group": self.group, "kind": self.kind,
                "description": self.description, "unit": self.unit, "higher_is_worse": self.higher_is_worse,
                "palette": self.palette}


@dataclass(frozen=True)
class NeedType:
    id: str
    name: str
    column: str
    weight: float
    description: str = ""
    contrib: str | None = None  # this type's additive contribution to the raw score, when the build gives it


@dataclass
class MapIndex:
    """A built index ready for the map: one row per London LSOA 2021, in a fixed order."""

    out_dir: Path
    frame: pd.DataFrame  # indexed 0..n-1; columns: code, name, borough_code, ward_code, + index columns
    need_types: list[NeedType]
    layers: list[LayerInfo]
    area_types: dict[str, dict[str, str]]  # id -> {name, description, colour}
    boroughs: pd.DataFrame  # code, name, minx, miny, maxx, maxy, lon, lat
    wards: pd.DataFrame  # code, name, borough_code
    manifest: dict[str, Any]
    version: str  # changes whenever the files change (ETag seed)
    columns: dict[str, str | None]  # role -> column in frame (score, rank_low, rank_high, ...)
    position: dict[str, int] = field(default_factory=dict)  # code -> row
    cache: dict[str, Any] = field(default_factory=dict)  # encoded payloads (map_payloads)

    # ---- lookups -------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.frame)

    def row(self, code: str) -> int:
        code = code.strip().upper()
        if code not in self.position:
            raise NotFound(f"{code} is not a London LSOA (2021) code in the index.")
        return self.position[code]

    def borough_name(self, code: str) -> str:
        match = self.boroughs.loc[self.boroughs["code"] == code, "name"]
        if match.empty:
            raise NotFound(f"{code} is not a London borough code (E09000001 to E09000033).")
        return str(match.iloc[0])

    def layer(self, layer_id: str) -> LayerInfo:
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise NotFound(f"Unknown layer {layer_id!r}. The layers are listed at /api/v1/inclusion/layers.")

    def values(self, layer_id: str) -> np.ndarray:
        layer = self.layer(layer_id)
        return self.frame[layer.column].to_numpy()

    @property
    def default_weights(self) -> dict[str, float]:
        return {t.id: t.weight for t in self.need_types}

    def need_matrix(self) -> np.ndarray:
        return self.frame[[t.column for t in self.need_types]].to_numpy(dtype=float)

    # ---- re-weighting --------------------------------------------------------------------------
    def parse_weights(self, text: str | None) -> dict[str, float]:
        """Weights from the URL form ``id:1,id2:0.5`` (missing ids keep their default)."""
        weights = dict(self.default_weights)
        if not text:
            return weights
        for part in text.split(","):
            if ":" not in part:
                continue
            key, _, value = part.partition(":")
            key = key.strip()
            if key in weights:
                try:
                    number = float(value)
                except ValueError:
                    continue
                if np.isfinite(number):
                    weights[key] = min(max(number, 0.0), 5.0)
        return weights

    def is_default(self, weights: dict[str, float]) -> bool:
        return all(abs(weights.get(k, v) - v) < 1e-9 for k, v in self.default_weights.items())

    @property
    def mode(self) -> str:
        """``additive`` when the build gives each need type's contribution to its raw score (the calibrated
        model): a weight multiplies that contribution. Otherwise ``mean``: see :func:`combine`."""
        if self.need_types and all(t.contrib for t in self.need_types):
            return "additive"
        return "mean"

    def evaluate(self, weights: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(overall score, rank) under ``weights``; the built ones at the published weights.

        Additive mode: raw = sum over need types of weight × contribution (in the catalogue's order, as
        ``map.js`` sums them); rank 1 = highest raw; the score is its percentile 0–100 (as the build's).
        """
        if weights is None or self.is_default(weights):
            cached = self.cache.get("_default_eval")
            if cached is None:
                base = self.frame[self.columns["score"] or "score"].to_numpy(dtype=float)
                rank_col = self.columns.get("rank")
                ranks = (self.frame[rank_col].to_numpy(dtype=int) if rank_col and self.mode == "additive"
                         else rank_desc(base))
                cached = (base, ranks)
                self.cache["_default_eval"] = cached
            return cached
        if self.mode == "additive":
            raw = additive_raw(self.frame, self.need_types, weights)
            return percentile(raw), rank_desc(raw)
        scores = combine(self.need_matrix(), [weights[t.id] for t in self.need_types],
                         base=self.frame[self.columns["score"] or "score"].to_numpy(dtype=float),
                         default=[t.weight for t in self.need_types])
        return scores, rank_desc(scores)

    def scores(self, weights: dict[str, float] | None = None) -> np.ndarray:
        """The overall score under ``weights`` (the built score when they are the defaults)."""
        return self.evaluate(weights)[0]


def additive_raw(frame: pd.DataFrame, need_types: list[NeedType], weights: dict[str, float]) -> np.ndarray:
    raw = np.zeros(len(frame))
    for t in need_types:
        contrib = frame[t.contrib].to_numpy(dtype=float) if t.contrib else np.zeros(len(frame))
        raw = raw + weights.get(t.id, t.weight) * np.nan_to_num(contrib)
    return raw


def percentile(raw: np.ndarray) -> np.ndarray:
    """0–100 percentile rank (100 = highest), ties sharing their average rank (as the build's ``score``)."""
    r = pd.Series(raw).rank(method="average").to_numpy()
    return np.asarray(100.0 * (r - 0.5) / len(raw))


def combine(needs: np.ndarray, weights: list[float], *, base: np.ndarray | None = None,
            default: list[float] | None = None) -> np.ndarray:
    """The overall score from need-type scores: the weighted mean, shifted so that it equals the built
    ``base`` score at the ``default`` weights (so moving a slider and moving it back changes nothing).

    ``map.js`` implements the same formula; ``tests/inclusion/test_map_data.py`` checks they agree.
    """
    w = np.asarray(weights, dtype=float)
    filled = np.where(np.isnan(needs), 0.0, needs)
    present = (~np.isnan(needs)).astype(float)

    def mean(wv: np.ndarray) -> np.ndarray:
        total = present @ wv
        with np.errstate(invalid="ignore", divide="ignore"):
            out = (filled @ wv) / total
        return np.where(total > 0, out, np.nan)

    result = mean(w)
    if base is not None and default is not None:
        result = result + (base - mean(np.asarray(default, dtype=float)))
    return result


def rank_desc(scores: np.ndarray) -> np.ndarray:
    series = pd.Series(scores)
    return series.rank(ascending=False, method="min", na_option="bottom").to_numpy(dtype=int)


# ---- loading -----------------------------------------------------------------------------------

_lock = threading.Lock()
_cached: dict[str, MapIndex] = {}


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
    """The index in ``directory`` (default: the configured output folder), cached until its files change."""
    directory = Path(directory or out_dir()).resolve()
    if not (directory / INDEX_FILE).is_file():
        raise IndexMissing(
            f"No inclusion index has been built in {directory}. Run `boroughs inclusion build --out {directory}` "
            "(or `boroughs demo seed` in demo mode), then reload this page."
        )
    stamp = _stamp(directory)
    key = str(directory)
    found = _cached.get(key)
    if found is not None and found.cache.get("_stamp") == stamp:
        return found
    with _lock:
        found = _cached.get(key)
        if found is not None and found.cache.get("_stamp") == stamp:
            return found
        index = load_index(directory, data_dir)
        index.cache["_stamp"] = stamp
        from boroughs.inclusion.map_profile import prepare

        prepare(index)
        _cached[key] = index
        return index


def clear_cache() -> None:
    _cached.clear()


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
    from boroughs.inclusion import map_schema

    manifest = _read_manifest(directory)
    raw = pd.read_csv(directory / INDEX_FILE, dtype={"lsoa21_code": "string"})
    data_dir = data_dir or get_settings().data_dir
    schema = map_schema.schema(raw, manifest, directory, data_dir)

    lsoa = geography.read_layer("lsoa21", data_dir)[["lsoa21_code", "lsoa21_name", "ltla24_code"]]
    wards = geography.read_lookup_21_ward(data_dir)
    ward_of = wards.set_index("lsoa21_code")["ward24_code"]
    frame = lsoa.rename(columns={"lsoa21_code": "code", "lsoa21_name": "name", "ltla24_code": "borough_code"})
    frame["ward_code"] = frame["code"].map(ward_of)
    frame = frame.astype({"code": str, "name": str, "borough_code": str})
    data = schema.frame.set_index("lsoa21_code")
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
        need_types=schema.need_types,
        layers=schema.layers,
        area_types=schema.area_types,
        boroughs=boroughs,
        wards=ward_frame.reset_index(drop=True).astype(str),
        manifest=manifest,
        version=_stamp(directory),
        columns=schema.columns,
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
