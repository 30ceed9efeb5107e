"""Gaps: where need (the index and the residents likely offline) meets poor reach of digital support.

For each LSOA::

    gap_score = residents_offline × need × distance

- ``residents_offline``: the build's estimate of adults likely offline in the area (read through the map's
  column roles, so whichever way the build estimates it);
- ``need``: the area's overall score as a percentile of London's areas (0 to 1; 1 = the highest score),
  so the measure does not depend on the score's scale;
- ``distance``: the estimated walk to the nearest site, in units of the walking distance
  (``walk_minutes``), capped at 3 (so 45 minutes by default, and where there is no site at all).

Within walking distance the distance term is below 1 and shrinks as a site gets closer, so a big offline
population beside a library still ranks below the same population half an hour's walk from any support.
``gap_rank`` 1 is London's biggest gap; ``borough_rank`` ranks within the borough.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from boroughs.inclusion.map.index import MapIndex
from boroughs.inclusion.provision.models import KINDS
from boroughs.inclusion.provision.reach import WalkParams

CAP = 3.0
CONTRACT = ["lsoa21_code", "score", "residents_offline", "nearest_km", "within_walk", "gap_score", "gap_rank"]


def need_inputs(index: MapIndex) -> pd.DataFrame:
    """The index's score and residents-offline estimate per LSOA, in the map's order (via the map's roles)."""
    frame = index.frame
    est = index.columns.get("estimate")
    residents = frame[est].to_numpy(dtype=float) if est else np.full(index.n, np.nan)
    return pd.DataFrame({"lsoa21_code": frame["code"].to_numpy(), "name": frame["name"].to_numpy(),
                         "borough_code": frame["borough_code"].to_numpy(),
                         "score": index.scores().astype(float), "residents_offline": residents})


def compute(index: MapIndex, reach: pd.DataFrame, params: WalkParams | None = None) -> pd.DataFrame:
    """The gap table: one row per LSOA in the map's order (``reach`` from :func:`reach.compute` on the
    index's codes)."""
    params = params or WalkParams.from_settings()
    need = need_inputs(index)
    r = reach.reindex(need["lsoa21_code"])
    score = need["score"]
    pct = score.rank(method="average", pct=True).to_numpy(dtype=float)
    walk = r["walk_minutes"].to_numpy(dtype=float)
    distance = np.where(np.isnan(walk), CAP, np.clip(walk / params.minutes, 0.0, CAP))
    gap = need["residents_offline"].to_numpy(dtype=float) * pct * distance
    out = need.copy()
    out["need_percentile"] = pct
    out["nearest_km"] = r["nearest_m"].to_numpy(dtype=float) / 1000
    out["walk_minutes"] = walk
    out["nearest_kind"] = r["nearest_kind"].to_numpy()
    out["nearest_id"] = r["nearest_id"].to_numpy()
    out["within_walk"] = r["within_walk"].to_numpy(dtype=int)
    for kind in KINDS:
        out[f"nearest_km_{kind}"] = r[f"nearest_m_{kind}"].to_numpy(dtype=float) / 1000
    out["gap_score"] = gap
    out["gap_rank"] = pd.Series(gap).rank(ascending=False, method="min", na_option="bottom").to_numpy(dtype=int)
    out["borough_rank"] = (pd.Series(gap).groupby(out["borough_code"].to_numpy())
                           .rank(ascending=False, method="min", na_option="bottom").to_numpy(dtype=int))
    out["beyond_walk"] = out["within_walk"] == 0
    return out


def contract_frame(gaps: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``OUT/gaps.csv`` (the analysts' contract), rounded for reading, in rank order."""
    out = gaps[CONTRACT].copy()
    out["score"] = out["score"].round(4)
    out["residents_offline"] = out["residents_offline"].round(1)
    out["nearest_km"] = out["nearest_km"].round(3)
    out["gap_score"] = out["gap_score"].round(3)
    return out.sort_values(["gap_rank", "lsoa21_code"], kind="stable").reset_index(drop=True)


def borough_summary(gaps: pd.DataFrame, borough: str | None = None) -> dict[str, Any]:
    """Figures for a borough (or London): residents likely offline beyond walking distance of any site."""
    sel = gaps if borough is None else gaps[gaps["borough_code"] == borough]
    residents = sel["residents_offline"].fillna(0)
    beyond = sel["beyond_walk"].to_numpy()
    total = float(residents.sum())
    return {
        "areas": len(sel),
        "areas_beyond_walk": int(beyond.sum()),
        "residents_offline": total,
        "residents_offline_beyond_walk": float(residents[beyond].sum()),
        "share_beyond_walk": float(residents[beyond].sum() / total) if total else None,
        "median_nearest_km": float(np.nanmedian(sel["nearest_km"])) if sel["nearest_km"].notna().any() else None,
    }


def ranked(gaps: pd.DataFrame, borough: str | None = None, limit: int | None = None) -> pd.DataFrame:
    sel = gaps if borough is None else gaps[gaps["borough_code"] == borough]
    key = "gap_rank" if borough is None else "borough_rank"
    sel = sel.sort_values([key, "lsoa21_code"], kind="stable")
    return sel.head(limit) if limit else sel
