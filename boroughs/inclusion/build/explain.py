"""Explanations of one area: as data (for the map's profile panel) and as plain-English text."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from boroughs.core.errors import NotFound
from boroughs.inclusion.build.catalogue import Catalogue, Indicator
from boroughs.inclusion.build.index import BuiltIndex


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


def reason_lists(
    cat: Catalogue, contrib: pd.Series, values: pd.Series, medians: pd.Series, pct: pd.Series, top: int = 3
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(what raises the area's risk, what lowers it), each ordered by the size of its contribution to *this*
    area's score under the current weights (largest first).

    A contribution is weight × (the area's value − the London median), on the indicator oriented so that
    higher means more risk; so a reason that raises the score always has a positive contribution and a value
    on the risky side of the median, and one that lowers it a negative contribution and a value on the other
    side. Indicators with no weight or no value here are not reasons either way."""

    def item(ind_id: str) -> dict[str, Any]:
        ind = cat.by_id(ind_id)
        value, median = float(values[ind_id]), float(medians[ind_id])
        return {
            "indicator": ind_id,
            "name": ind.name,
            "need_type": ind.need_type,
            "need_type_name": cat.need_types[ind.need_type].name,
            "value": value,
            "value_text": _fmt(ind, value),
            "median": median,
            "median_text": _fmt(ind, median),
            "risk_percentile": round(float(pct[ind_id]), 1),
            "contribution": round(float(contrib[ind_id]), 5),
            "comparison": "higher than" if value > median else "lower than" if value < median else "the same as",
        }

    # plain NumPy over the area's row (the map's profile API explains every area at start-up)
    ids = np.asarray(contrib.index, dtype=object)
    c = contrib.to_numpy(dtype=float)
    v = values.reindex(contrib.index).to_numpy(dtype=float)
    ok = np.isfinite(v) & np.isfinite(c)
    s = pd.Series(c[ok], index=ids[ok])  # pandas' sort: ties keep the order they always had
    up = [item(i) for i in s[s > 0].sort_values(ascending=False).index[:top]]
    down = [item(i) for i in s[s < 0].sort_values(ascending=True).index[:top]]
    return up, down


def need_contributions(built: BuiltIndex, code: str) -> list[dict[str, Any]]:
    """Each need type's share of this area's score under the current weights: the sum of its indicators'
    contributions (positive raises the score above an area at the median on every measure)."""
    cat = built.catalogue
    contrib = built.contributions.loc[code]
    out = []
    for t, nt in cat.need_types.items():
        ids = [i.id for i in cat.of_type(t) if i.id in contrib.index]
        out.append({"need_type": t, "name": nt.name, "contribution": round(float(contrib[ids].sum()), 5)})
    return sorted(out, key=lambda r: -float(r["contribution"]))


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
    raises, lowers = reason_lists(cat, contrib, built.indicators.loc[code], medians, pct, top=top)
    reasons = raises
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
        "lowers": lowers,
        "need_contributions": need_contributions(built, code),
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
        lines.append("The main reasons its risk is higher (largest first, under the current weights):")
        for r in info["reasons"]:
            lines.append(
                f"  - {r['name']} ({r['need_type_name'].lower()}): {r['value_text']}, {r['comparison']} the "
                f"{place} median of {r['median_text']}; on this measure the area is at higher risk than "
                f"{r['risk_percentile']:.0f}% of other areas."
            )
    else:
        lines.append("No indicator raises this area's risk above the middle of the range.")
    if info.get("lowers"):
        lines.append("What lowers its risk (largest first):")
        for r in info["lowers"]:
            lines.append(
                f"  - {r['name']} ({r['need_type_name'].lower()}): {r['value_text']}, {r['comparison']} the "
                f"{place} median of {r['median_text']}; on this measure the area is at lower risk than "
                f"{100 - r['risk_percentile']:.0f}% of other areas."
            )
    if info.get("observed_offline_share") is not None:
        lines.append(
            f"At the 2021 Census, {info['observed_offline_share'] * 100:.1f}% of household returns here were not "
            f"made online."
        )
    return "\n".join(lines)


def table(built: BuiltIndex) -> pd.DataFrame:  # pragma: no cover - convenience for notebooks
    return built.lsoa
