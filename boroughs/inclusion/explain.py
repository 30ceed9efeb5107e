"""Explanations of one area: as data (for the map's profile panel) and as plain-English text."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from boroughs.core.errors import NotFound
from boroughs.inclusion.catalogue import Indicator
from boroughs.inclusion.index import BuiltIndex


def _fmt(ind: Indicator, value: float) -> str:
    if not np.isfinite(value):
        return "not known"
    if "numerator" in ind.formula and "denominator" in ind.formula and value <= 1.5:
        return f"{value * 100:.1f}%"
    if "count" in ind.formula:
        return f"{value:,.0f}"
    if "numerator" in ind.formula:
        return f"{value:.2f}"
    return f"{value:.3g}"


def explain_area(built: BuiltIndex, code: str, top: int = 3) -> dict[str, Any]:
    """Everything the profile panel shows for one LSOA (raises NotFound for an unknown code)."""
    if code not in built.lsoa.index:
        raise NotFound(f"{code} is not an LSOA in this index ({len(built.lsoa):,} areas)")
    row = built.lsoa.loc[code]
    cat = built.catalogue
    n = len(built.lsoa)
    contrib = built.contributions.loc[code]
    medians = built.indicators.median()
    directions = pd.Series({i: cat.by_id(i).direction for i in built.indicators.columns})
    ranks = (built.indicators * directions).rank(method="min")
    pct = (ranks.loc[code] - 1) / max(n - 1, 1) * 100  # share of other areas at lower risk
    reasons: list[dict[str, Any]] = []
    for ind_id in contrib.sort_values(ascending=False).index:
        c = float(contrib[ind_id])
        if c <= 0 or len(reasons) >= top:
            break
        if not float(pct[ind_id]) > 50:
            # A positive contribution from a measure on which the area is at *lower* risk than most (an
            # offsetting learned weight) is not a reason anyone could act on: leave it out.
            continue
        ind = cat.by_id(ind_id)
        value = float(built.indicators.loc[code, ind_id])
        median = float(medians[ind_id])
        higher = value > median
        reasons.append(
            {
                "indicator": ind_id,
                "name": ind.name,
                "need_type": ind.need_type,
                "need_type_name": cat.need_types[ind.need_type].name,
                "value": value,
                "value_text": _fmt(ind, value),
                "median": median,
                "median_text": _fmt(ind, median),
                "risk_percentile": round(float(pct[ind_id]), 1),
                "contribution": round(c, 5),
                "comparison": "higher than" if higher else "lower than" if value < median else "the same as",
            }
        )
    needs = {
        t: {"name": nt.name, "percentile": float(row[f"need_{t}"])}
        for t, nt in cat.need_types.items()
        if f"need_{t}" in row.index
    }
    types = {str(t["area_type"]): t for t in built.area_types["types"]}
    area_type = types.get(str(int(row["area_type"])), {})

    def get(col: str) -> Any:
        v = row.get(col)
        if v is None or (isinstance(v, float) and not np.isfinite(v)):
            return None
        return v.item() if hasattr(v, "item") else v

    return {
        "lsoa21_code": code,
        "lsoa21_name": get("lsoa21_name"),
        "ward": get("ward24_name"),
        "borough": get("ltla24_name"),
        "score": get("score"),
        "rank": int(row["rank"]),
        "areas": n,
        "decile": int(row["decile"]),
        "rank_low": get("rank_low"),
        "rank_high": get("rank_high"),
        "unstable": bool(get("unstable")) if get("unstable") is not None else None,
        "main_need": get("main_need_name"),
        "needs": needs,
        "area_type": int(row["area_type"]),
        "area_type_name": area_type.get("name"),
        "area_type_description": area_type.get("description"),
        "adults": get("adults"),
        "offline_estimate": get("offline_estimate"),
        "offline_low": get("offline_low"),
        "offline_high": get("offline_high"),
        "observed_offline_share": get("observed_offline_share"),
        "reasons": reasons,
        "method": built.manifest.get("default_method"),
        "area": built.manifest.get("area", "london"),
    }


def explain_text(info: dict[str, Any]) -> str:
    """Plain-English paragraph(s) from :func:`explain_area`'s result."""
    place = "London" if info["area"] == "london" else "England"
    name = info["lsoa21_name"] or info["lsoa21_code"]
    where = ", ".join(x for x in (info.get("ward"), info.get("borough")) if x)
    lines = [f"{name} ({info['lsoa21_code']}){', in ' + where if where else ''}."]
    lines.append(
        f"It ranks {info['rank']:,} of {info['areas']:,} {place} areas for risk of digital exclusion "
        f"(1 is the highest risk), which puts it in decile {info['decile']} (decile 1 is the 10% of areas at "
        f"highest risk)."
    )
    if info.get("rank_low") is not None:
        lines.append(
            f"If the weights and method were chosen differently, its rank would usually lie between "
            f"{int(info['rank_low']):,} and {int(info['rank_high']):,}"
            + (" so its decile is not certain." if info.get("unstable") else ".")
        )
    if info.get("area_type_name"):
        lines.append(f"Area type: {info['area_type_name']}.")
    if info.get("offline_estimate") is not None:
        lines.append(
            f"We estimate that about {info['offline_estimate']:,.0f} of its {info['adults']:,.0f} adults have not "
            f"used the internet in the last three months (90% interval {info['offline_low']:,.0f} to "
            f"{info['offline_high']:,.0f})."
        )
    if info.get("main_need"):
        lines.append(f"Of the five types of need, it ranks highest in London on {str(info['main_need']).lower()}.")
    if info["reasons"]:
        lines.append("The main reasons:")
        for r in info["reasons"]:
            lines.append(
                f"  - {r['name']} ({r['need_type_name'].lower()}): {r['value_text']}, {r['comparison']} the "
                f"{place} median of {r['median_text']}; on this measure the area is at higher risk than "
                f"{r['risk_percentile']:.0f}% of other areas."
            )
    else:
        lines.append("No indicator raises this area's risk above the middle of the range.")
    if info.get("observed_offline_share") is not None:
        lines.append(
            f"At the 2021 Census, {info['observed_offline_share'] * 100:.1f}% of household returns here were not "
            f"made online."
        )
    return "\n".join(lines)


def table(built: BuiltIndex) -> pd.DataFrame:  # pragma: no cover - convenience for notebooks
    return built.lsoa
