"""What the map shows: :class:`MapIndex`, a built index (``OUT/lsoa21.csv`` and ``manifest.json``) joined to
London's geography, with the layers it can colour the areas by.

The map, the table, the profiles and the briefings all read one :class:`MapIndex`, loaded by
:func:`boroughs.inclusion.map.loading.get_index` from the configured output folder (``BOROUGHS_OUT_DIR``)
and cached until the files change. The index itself is built by ``boroughs inclusion build`` (see
``docs/inclusion/``); the map only reads its outputs, so it adapts to the columns the build writes
(:mod:`boroughs.inclusion.map.schema`).

Re-weighting: the overall score under other weights is :func:`combine` of the need-type scores. The
browser does the same sum (``map.js``), so the map, the table and the downloads always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boroughs.core.errors import NotFound

# Okabe–Ito: safe for the common forms of colour blindness (for area types).
CATEGORICAL = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]


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
    cache: dict[str, Any] = field(default_factory=dict)  # encoded payloads (boroughs.inclusion.web.responses)

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

    ``map.js`` implements the same formula; ``tests/inclusion/map/test_map_data.py`` checks they agree.
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
