"""Area profiles and borough summaries over a :class:`MapIndex`.

These are the figures the profile panel, the printable profile, the borough dashboard and the briefings
show, computed the same way for every view (and under the weights in the page's address). Place search is
in :mod:`.search`, the table's selections in :mod:`.table`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from boroughs.inclusion.map.index import MapIndex
from boroughs.inclusion.map.schema import ROLES


def finite(value: Any) -> float | None:
    """``value`` as a float, or ``None`` when it is missing, not a number or infinite."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def percent_rank(values: np.ndarray, value: float) -> float:
    """Share of areas (with a value) whose value is below ``value``."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0 or not np.isfinite(value):
        return float("nan")
    return float((finite < value).mean())


def deciles(ranks: np.ndarray, n: int) -> np.ndarray:
    """Decile 1 = the 10% of areas with the greatest risk (ranks 1 to ceil(n / 10))."""
    return np.minimum(10, (np.asarray(ranks) - 1) * 10 // n + 1).astype(int)


def _means(index: MapIndex) -> dict[str, Any]:
    cached = index.cache.get("_means")
    if cached is None:
        cols = [t.column for t in index.need_types]
        frame = index.frame
        cached = {
            "london": frame[cols].mean().to_dict(),
            "london_median": frame[cols].median().to_dict(),
            "borough": frame.groupby("borough_code")[cols].mean().to_dict("index"),
        }
        index.cache["_means"] = cached
    return cached


def need_scale_max(index: MapIndex) -> float:
    """The top of the need-type bars' scale: 100 for percentiles, else the largest need score."""
    cached: float | None = index.cache.get("_need_scale_max")
    if cached is None:
        top = float(np.nanmax(index.need_matrix())) if index.need_types else 1.0
        cached = 100.0 if 1.0 < top <= 100.0 else max(top, 1.0)
        index.cache["_need_scale_max"] = cached
    return cached


def area_type(index: MapIndex, row: int) -> dict[str, str] | None:
    col = index.columns.get("area_type")
    if not col:
        return None
    value = index.frame.at[row, col]
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    meta = index.area_types.get(str(value), {"name": f"Type {value}", "description": ""})
    return {"id": str(value), **meta}


def prepare(index: MapIndex) -> None:
    """Compute once, when an index is loaded, what every profile needs (so no request pays for it)."""
    _means(index)
    _explanation_tables(index)


def _explanation_tables(index: MapIndex) -> dict[str, Any] | None:
    """What the build's explanation (``boroughs.inclusion.build.explain.explain_area``) reads, prepared once.

    ``explain_area`` ranks every indicator on each call (tens of milliseconds); the profile API must answer
    in a few, so this adapter precomputes the same medians and risk percentiles and applies the same rule:
    the indicators with the largest positive contributions to the area's score, compared with London's
    median.
    """
    if "_explain" in index.cache:
        found: dict[str, Any] | None = index.cache["_explain"]
        return found
    tables: dict[str, Any] | None = None
    try:
        from boroughs.inclusion.build import index as build

        built = build.load(index.out_dir)
        cat = built.catalogue
        values = built.indicators
        directions = pd.Series({i: cat.by_id(i).direction for i in values.columns})
        n = len(built.lsoa)
        pct = ((values * directions).rank(method="min") - 1) / max(n - 1, 1) * 100
        contributions = built.contributions
        tables = {"built": built, "catalogue": cat, "values": values, "medians": values.median(), "pct": pct,
                  "contributions": contributions,
                  # one area's rows without pandas' row lookups (every profile is made at start-up)
                  "rows": {"contributions": _rows(contributions), "values": _rows(values), "pct": _rows(pct)}}
    except Exception:  # an index from another build, or no build module: the map's own comparison instead
        tables = None
    index.cache["_explain"] = tables
    return tables


def _rows(frame: pd.DataFrame) -> tuple[dict[str, int], np.ndarray, pd.Index]:
    """(position of each code, the frame's values as one array, its columns): for :func:`_row`."""
    return {str(c): i for i, c in enumerate(frame.index)}, frame.to_numpy(dtype=float), frame.columns


def _row(rows: tuple[dict[str, int], np.ndarray, pd.Index], code: str) -> pd.Series:
    """``frame.loc[code]`` as floats (about ten times faster)."""
    position, values, columns = rows
    return pd.Series(values[position[code]], index=columns, dtype=float)


def _explained_both(index: MapIndex, code: str, top: int = 3) -> tuple[list[str], list[str]] | None:
    """The build's reasons for ``code`` as plain-English sentences: (what raises its risk, what lowers it),
    each ordered by contribution to the area's score (None if the build cannot give them)."""
    tables = _explanation_tables(index)
    if tables is None or code not in tables["contributions"].index:
        return None
    from boroughs.inclusion.build.explain import reason_lists  # the build's pipeline loads only when used

    cat = tables["catalogue"]
    rows = tables["rows"]
    if code not in rows["values"][0] or code not in rows["pct"][0]:
        return None
    up, down = reason_lists(cat, _row(rows["contributions"], code), _row(rows["values"], code),
                            tables["medians"], _row(rows["pct"], code), top=top)
    raises = [f"{r['name']} ({r['need_type_name'].lower()}): {r['value_text']} here, {r['comparison']} the London "
              f"median of {r['median_text']}; higher risk than {r['risk_percentile']:.0f}% of London's areas on "
              f"this measure." for r in up]
    lowers = [f"{r['name']} ({r['need_type_name'].lower()}): {r['value_text']} here, {r['comparison']} the London "
              f"median of {r['median_text']}; lower risk than {100 - r['risk_percentile']:.0f}% of London's "
              f"areas on this measure." for r in down]
    return raises, lowers


def _explained(index: MapIndex, code: str, top: int = 3) -> list[str] | None:
    """The build's top reasons (what raises the area's risk) as plain-English sentences."""
    both = _explained_both(index, code, top)
    return (both[0] or None) if both else None


def lowers(index: MapIndex, row: int, limit: int = 3) -> list[str]:
    """What lowers the area's risk, largest contribution first (empty when the build cannot say)."""
    both = _explained_both(index, str(index.frame.at[row, "code"]), limit)
    return both[1] if both else []


def reasons(index: MapIndex, row: int, limit: int = 3) -> list[str]:
    """The plain-English top reasons: from the build's explanation when it has one, else the need types and
    indicators where this area stands out most against London."""
    return _reasons(index, row, limit, _explained_both(index, str(index.frame.at[row, "code"])))


def _reasons(index: MapIndex, row: int, limit: int, both: tuple[list[str], list[str]] | None) -> list[str]:
    """:func:`reasons`, given the area's :func:`_explained_both`."""
    frame = index.frame
    if both and both[0]:
        return both[0]
    found: list[tuple[float, str]] = []
    for t in index.need_types:
        values = frame[t.column].to_numpy(dtype=float)
        value = float(values[row])
        pr = percent_rank(values, value)
        if np.isfinite(pr) and pr >= 0.5:
            found.append((pr, f"{t.name}: greater need than {pr:.0%} of London's areas."))
    found.sort(reverse=True)
    texts = [text for _, text in found[:limit]]
    indicator_texts: list[tuple[float, str]] = []
    for layer in index.layers:
        if layer.kind != "indicator":
            continue
        values = frame[layer.column].to_numpy(dtype=float)
        value = float(values[row])
        if not np.isfinite(value):
            continue
        pr = percent_rank(values, value)
        worse = pr if layer.higher_is_worse else 1 - pr
        if worse >= 0.75:
            median = float(np.nanmedian(values))
            indicator_texts.append((worse, f"{layer.name}: {format_value(value, layer.unit)} here, against "
                                           f"{format_value(median, layer.unit)} in the typical London area."))
    indicator_texts.sort(reverse=True)
    texts.extend(text for _, text in indicator_texts[:limit])
    if not texts:
        texts.append("No type of need here is above the London middle.")
    return texts


def format_value(value: float | None, unit: str = "") -> str:
    if value is None or not np.isfinite(value):
        return "no figure"
    if unit == "%":
        return f"{value * 100:.1f}%" if abs(value) <= 1.5 else f"{value:.1f}%"
    if unit == "people":
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _ward_names(index: MapIndex) -> dict[str, str]:
    found: dict[str, str] | None = index.cache.get("_ward_names")
    if found is None:
        found = {}
        for c, name in zip(index.wards["code"], index.wards["name"], strict=True):
            found.setdefault(str(c), str(name))  # the first, as the lookup by code gave
        index.cache["_ward_names"] = found
    return found


def profile(index: MapIndex, code: str, weights: dict[str, float] | None = None) -> dict[str, Any]:
    """Everything the profile panel and the printable profile show for one LSOA."""
    row = index.row(code)
    frame = index.frame
    weights = weights or index.default_weights
    scores, ranks = index.evaluate(weights)
    default = index.is_default(weights)
    cols = index.columns
    borough = str(frame.at[row, "borough_code"])
    means = _means(index)
    ward_code = frame.at[row, "ward_code"]
    ward_name = _ward_names(index).get(ward_code) if isinstance(ward_code, str) else None
    needs = []
    for t in index.need_types:
        needs.append({
            "id": t.id, "name": t.name, "weight": weights.get(t.id, t.weight),
            "value": finite(frame.at[row, t.column]),
            "borough": finite(means["borough"].get(borough, {}).get(t.column)),
            "london": finite(means["london"][t.column]),
        })

    def col(role: str) -> float | None:
        c = cols.get(role)
        return finite(frame.at[row, c]) if c else None

    interval = None
    if cols.get("rank_low") and cols.get("rank_high"):
        low, high = col("rank_low"), col("rank_high")
        if low is not None and high is not None:
            interval = [int(min(low, high)), int(max(low, high))]
    score = finite(scores[row])
    decile = int(deciles(ranks[row:row + 1], index.n)[0]) if score is not None else None
    explained = _explained_both(index, str(frame.at[row, "code"]))
    population = col("population")
    return {
        "code": str(frame.at[row, "code"]),
        "name": str(frame.at[row, "name"]),
        "borough": {"code": borough, "name": index.borough_name(borough)},
        "ward": {"code": ward_code, "name": ward_name} if ward_name else None,
        "score": score,
        "rank": int(ranks[row]),
        "of": index.n,
        "decile": decile,
        "rank_interval": interval,
        "rank_interval_note": None if default else
        "The rank interval is for the published weights; it is not recomputed when you change them.",
        "decile_unstable": bool(col("decile_unstable")) if cols.get("decile_unstable") else None,
        "weights_are_default": default,
        "weights": weights,
        "needs": needs,
        "need_scale_max": need_scale_max(index),
        "main_need": (str(frame.at[row, cols["main_need"]]) if cols.get("main_need")
                      and isinstance(frame.at[row, cols["main_need"]], str) else None),
        "reasons": _reasons(index, row, 3, explained),
        "lowers": explained[1] if explained else [],
        "area_type": area_type(index, row),
        "residents": {
            "estimate": col("estimate"), "low": col("estimate_low"), "high": col("estimate_high"),
            "rate": col("estimate_rate"), "population": population,
        },
        "comparisons": {
            "deri": col("deri"), "online_share": col("online_share"),
        },
    }


def borough_summary(index: MapIndex, code: str, weights: dict[str, float] | None = None,
                    top: int = 10) -> dict[str, Any]:
    """The dashboard and briefing figures for one borough."""
    name = index.borough_name(code)
    frame = index.frame
    weights = weights or index.default_weights
    scores, ranks = index.evaluate(weights)
    inside = (frame["borough_code"] == code).to_numpy()
    top_decile = ranks <= int(np.ceil(index.n / 10))
    cols = index.columns
    pop_col = cols.get("population")
    pop = frame[pop_col].to_numpy(dtype=float) if pop_col else None
    est_col = cols.get("estimate")
    est = frame[est_col].to_numpy(dtype=float) if est_col else None
    means = _means(index)
    order = np.argsort(-np.where(np.isfinite(scores), scores, -np.inf))
    worst = [int(i) for i in order if inside[i]][:top]

    def share_in_top(mask: np.ndarray) -> float | None:
        if pop is None:
            return None
        total = np.nansum(pop[mask])
        return float(np.nansum(pop[mask & top_decile]) / total) if total > 0 else None

    estimate = None
    if est is not None:
        estimate = {"estimate": float(np.nansum(est[inside])), "london": float(np.nansum(est))}
        low_c, high_c = cols.get("estimate_low"), cols.get("estimate_high")
        rollup = _borough_rollup(index, code)
        if rollup:
            estimate.update(rollup)
        elif low_c and high_c:
            estimate["low_sum"] = float(np.nansum(frame[low_c].to_numpy(dtype=float)[inside]))
            estimate["high_sum"] = float(np.nansum(frame[high_c].to_numpy(dtype=float)[inside]))
    b_scores = scores[inside]
    return {
        "code": code,
        "name": name,
        "areas": int(inside.sum()),
        "population": float(np.nansum(pop[inside])) if pop is not None else None,
        "mean_score": finite(np.nanmean(b_scores)),
        "london_mean_score": finite(np.nanmean(scores)),
        "median_rank": int(np.median(ranks[inside])),
        "areas_in_top_decile": int((inside & top_decile).sum()),
        "top_decile_threshold": int(np.ceil(index.n / 10)),
        "share_residents_top_decile": share_in_top(inside),
        "london_share_residents_top_decile": share_in_top(np.ones(index.n, dtype=bool)),
        "estimate": estimate,
        "needs": [{"id": t.id, "name": t.name, "borough": finite(means["borough"].get(code, {}).get(t.column)),
                   "london": finite(means["london"][t.column])} for t in index.need_types],
        "worst": [{"code": str(frame.at[i, "code"]), "name": str(frame.at[i, "name"]),
                   "ward": ward_name(index, frame.at[i, "ward_code"]), "score": finite(scores[i]), "rank": int(ranks[i]),
                   "area_type": (area_type(index, i) or {}).get("name")} for i in worst],
        "scores": [float(s) for s in b_scores if np.isfinite(s)],
        "london_scores": [float(s) for s in scores if np.isfinite(s)],
        "weights": weights,
        "weights_are_default": index.is_default(weights),
    }


def _borough_rollup(index: MapIndex, code: str) -> dict[str, float] | None:
    """The build's own borough roll-up of estimated residents (with its interval), when it wrote one."""
    for name in ("borough.csv", "boroughs.csv", "ltla.csv", "rollup_borough.csv", "borough_rollup.csv"):
        path = index.out_dir / name
        if not path.is_file():
            continue
        key = f"_rollup:{name}"
        frame = index.cache.get(key)
        if frame is None:
            frame = pd.read_csv(path)
            index.cache[key] = frame
        code_col = next((c for c in frame.columns if c in ("ltla_code", "borough_code", "ltla24_code", "ltla22_code",
                                                            "ltla21_code", "code")), None)
        if code_col is None:
            return None
        match = frame[frame[code_col] == code]
        if match.empty:
            return None
        out: dict[str, float] = {}
        for role, target in (("estimate", "estimate"), ("estimate_low", "low"), ("estimate_high", "high")):
            c = next((c for c in ROLES[role] if c in frame.columns), None)
            if c is not None and finite(match.iloc[0][c]) is not None:
                out[target] = float(match.iloc[0][c])
        return out or None
    return None


def ward_name(index: MapIndex, code: Any) -> str | None:
    if not isinstance(code, str):
        return None
    names = index.cache.get("_ward_names")
    if names is None:
        names = dict(zip(index.wards["code"], index.wards["name"], strict=True))
        index.cache["_ward_names"] = names
    return names.get(code)
