"""The table's rows (``/map/table`` and the downloads): one per LSOA in a selection, under given weights."""

from __future__ import annotations

import numpy as np
import pandas as pd

from boroughs.core.errors import NotFound
from boroughs.inclusion.map.index import MapIndex
from boroughs.inclusion.map.profile import deciles, ward_name

SORTS = ("rank", "name", "code", "ward", "borough", "score", "residents")


def _selection_frame(index: MapIndex, weights: dict[str, float]) -> pd.DataFrame:
    frame = index.frame
    scores, ranks = index.evaluate(weights)
    bnames = dict(zip(index.boroughs["code"], index.boroughs["name"], strict=True))
    out = pd.DataFrame({
        "code": frame["code"], "name": frame["name"],
        "ward": frame["ward_code"].map(lambda c: ward_name(index, c) or ""),
        "ward_code": frame["ward_code"].fillna(""),
        "borough": frame["borough_code"].map(bnames), "borough_code": frame["borough_code"],
        "score": scores, "rank": ranks,
        "decile": deciles(ranks, index.n),
    })
    for t in index.need_types:
        out[f"need_{t.id}"] = frame[t.column].to_numpy(dtype=float)
    cols = index.columns
    for role, name in (("estimate", "residents"), ("estimate_low", "residents_low"), ("estimate_high", "residents_high"),
                       ("estimate_rate", "residents_rate")):
        c = cols.get(role)
        if c:
            out[name] = frame[c].to_numpy(dtype=float)
    if cols.get("rank_low") and cols.get("rank_high"):
        out["rank_low"] = frame[cols["rank_low"]]
        out["rank_high"] = frame[cols["rank_high"]]
    if cols.get("area_type"):
        out["area_type"] = frame[cols["area_type"]].map(
            lambda v: index.area_types.get(str(v), {}).get("name", "") if v is not None else "")
    return out


def selection(index: MapIndex, *, weights: dict[str, float], borough: str | None = None, ward: str | None = None,
              query: str | None = None, min_decile: int | None = None, sort: str = "rank",
              descending: bool = False) -> pd.DataFrame:
    """The table's rows: one per LSOA in the selection, with scores under ``weights``."""
    # the unfiltered table depends only on the weights: build it once per weighting (issue 11: a hot spot
    # under load), keeping the last few; filtering and sorting below copy it, never change it
    cache_key = "_selection:" + repr(sorted(weights.items()))
    cached = index.cache.get(cache_key)
    if cached is None:
        cached = _selection_frame(index, weights)
        keys = [k for k in list(index.cache) if k.startswith("_selection:")]
        for old in keys[:-7]:
            index.cache.pop(old, None)
        index.cache[cache_key] = cached
    out = cached
    bnames = dict(zip(index.boroughs["code"], index.boroughs["name"], strict=True))
    mask = np.ones(len(out), dtype=bool)
    if borough:
        if borough not in bnames:
            raise NotFound(f"{borough} is not a London borough code (E09000001 to E09000033).")
        mask &= (out["borough_code"] == borough).to_numpy()
    if ward:
        mask &= (out["ward_code"] == ward).to_numpy()
    if query:
        ql = query.strip().lower()
        mask &= (out["name"].str.lower().str.contains(ql, regex=False) | out["code"].str.lower().str.startswith(ql)
                 | out["ward"].str.lower().str.contains(ql, regex=False)).to_numpy()
    if min_decile:
        mask &= (out["decile"] <= min_decile).to_numpy()
    out = out[mask]
    key = sort if sort in out.columns else "rank"
    return out.sort_values([key, "rank"], ascending=[not descending, True], kind="stable")
