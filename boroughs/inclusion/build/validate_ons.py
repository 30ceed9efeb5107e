"""The second, independent validation: ONS's survey estimates of adults offline in London's sub-regions.

ONS *Internet users, UK: 2020* (table 9a) gives, for each of London's 21 NUTS3 sub-regions (one borough or a
group of two or three), the number of adults who had not used the internet in the last three months, with a
95% confidence interval, from the Labour Force Survey. That is an observation of *individuals*, made by a
different survey from the Census, so it checks the index against a second target with a different bias.

What is kept out of what while it validates:

* the **composite index** never sees these figures (it is fitted to Census return behaviour only), so its
  sub-region averages are compared with them directly;
* the published **residents-offline estimate** *is* calibrated to them (each sub-region's sum is moved into
  ONS's interval), so it is never validated against them as published. Instead it is validated twice without
  them: uncalibrated (national age × disability rates only), and *leave one sub-region out*: each
  sub-region's estimate is scaled by the ratio of ONS's total to the model's total over the **other 20**, so
  the held-out sub-region's own figure is never used for its own estimate.

DERI and IMD are averaged over the same sub-regions the same way (adult-weighted), for comparison.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

TARGET_BIASES = {
    "census_returns": (
        "Census 2021 return behaviour is a household measure: one member can file online for everyone, so "
        "areas of large, multi-adult or multi-generational households look more included than their individual "
        "adults are; returns also reflect the field force's help and paper-first areas are left out."
    ),
    "ons_nuts3": (
        "ONS's 2020 sub-region estimates come from a sample survey (the Labour Force Survey) with wide intervals "
        "(often ±30% or more), cover only 21 areas, are from 2020 (during the pandemic), and people in care homes "
        "and other communal homes are not sampled, so the very oldest are under-counted."
    ),
    "deri": (
        "DERI v1.6 is a fixed-weight composite built for Greater Manchester, largely from 2011 census data on "
        "2011 areas; it has no knowledge of London's observed behaviour."
    ),
    "imd": (
        "IMD measures deprivation, not digital exclusion: it misses older, better-off areas where many adults "
        "are offline."
    ),
}


def _rho(a: np.ndarray, b: np.ndarray) -> float | None:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 5:
        return None
    return round(float(spearmanr(a[ok], b[ok])[0]), 4)


def _top_capture(score: np.ndarray, truth: np.ndarray, k: int) -> dict[str, int]:
    """Of the ``k`` sub-regions with the highest ONS offline rate, how many are in the score's top ``k``?"""
    worst = set(np.argsort(-truth, kind="stable")[:k])
    top = set(np.argsort(-score, kind="stable")[:k])
    return {"top": k, "captured": len(worst & top)}


def validate_nuts3(lsoa: pd.DataFrame, estimates: Any, nuts3: pd.DataFrame) -> dict[str, Any]:
    """Compare the index, the residents-offline estimate, DERI and IMD with ONS's sub-region figures.

    ``lsoa``: the build's LSOA table (lsoa21_code, ltla24_name, score, oof_score, deri_score, imd2019_score,
    imd2025_score); ``estimates``: :class:`boroughs.inclusion.build.estimate.Estimates`; ``nuts3``: ONS table 9a
    (nuts3_code, nuts3_name, lower, estimate, upper in thousands)."""
    e = estimates.lsoa
    frame = lsoa.set_index("lsoa21_code").join(e[["nuts3_code", "offline_expected_raw"]].rename(
        columns={"offline_expected_raw": "_raw"}))
    frame["_adults"] = e["adults"].reindex(frame.index).to_numpy()
    w = frame["_adults"].fillna(0.0)
    g = frame.assign(_w=w).groupby("nuts3_code")
    ons = nuts3.set_index("nuts3_code")
    codes = sorted(g.groups)
    adults = g["_w"].sum().reindex(codes).to_numpy()

    def wmean(col: str) -> np.ndarray:
        v = frame[col].astype(float)
        ok = v.notna()
        num = (v.where(ok, 0.0) * w).groupby(frame["nuts3_code"]).sum()
        den = w.where(ok, 0.0).groupby(frame["nuts3_code"]).sum()
        return (num / den.replace(0, np.nan)).reindex(codes).to_numpy()

    ons_est = ons["estimate"].reindex(codes).to_numpy() * 1000
    ons_lo = ons["lower"].reindex(codes).to_numpy() * 1000
    ons_hi = ons["upper"].reindex(codes).to_numpy() * 1000
    ons_rate = ons_est / adults
    raw = g["_raw"].sum().reindex(codes).to_numpy()
    # Leave one sub-region out: scale by ONS's total over the *other* sub-regions ÷ the model's over them.
    loo = np.array([raw[i] * (ons_est.sum() - ons_est[i]) / (raw.sum() - raw[i]) for i in range(len(codes))])
    inside = (loo >= ons_lo) & (loo <= ons_hi)
    scores = {
        "this_index": wmean("score"),
        "this_index_out_of_fold": wmean("oof_score"),
        "residents_offline_uncalibrated": raw / adults,
        "deri": wmean("deri_score"),
        "imd2019": wmean("imd2019_score"),
        "imd2025": wmean("imd2025_score"),
    }
    labels = {
        "this_index": "This index (adult-weighted mean score)",
        "this_index_out_of_fold": "This index, out of fold",
        "residents_offline_uncalibrated": "Residents offline, uncalibrated (national rates)",
        "deri": "DERI v1.6",
        "imd2019": "IMD 2019 score",
        "imd2025": "IMD 2025 score",
    }
    k = max(1, round(len(codes) / 3))
    results = {
        key: {"label": labels[key], "spearman": _rho(v, ons_rate), **_top_capture(v, ons_rate, k)}
        for key, v in scores.items()
    }
    boroughs = frame.groupby("nuts3_code")["ltla24_name"].agg(lambda s: ", ".join(sorted(pd.unique(s))))
    rows = []
    for i, c in enumerate(codes):
        rows.append({
            "nuts3_code": c, "nuts3_name": str(ons["nuts3_name"].get(c, c)), "boroughs": str(boroughs.get(c, "")),
            "adults": round(float(adults[i])), "ons_estimate": round(float(ons_est[i])),
            "ons_lower": round(float(ons_lo[i])), "ons_upper": round(float(ons_hi[i])),
            "ons_rate": round(float(ons_rate[i]), 4),
            "estimate_uncalibrated": round(float(raw[i])), "estimate_leave_one_out": round(float(loo[i])),
            "leave_one_out_inside_interval": bool(inside[i]),
            "index_mean_score": round(float(scores["this_index"][i]), 2),
        })
    width = float(np.median((ons_hi - ons_lo) / np.maximum(ons_est, 1.0)) * 100)
    rho_index = results["this_index"]["spearman"]
    reading = (
        f"ONS's 95% intervals are wide: their median width is {width:.0f}% of the estimate, so with "
        f"{len(codes)} sub-regions a rank correlation cannot tell a good score from a poor one "
        f"(this index ρ = {rho_index}). What this check can test is the size of the estimate: calibrated "
        f"without the sub-region's own figure, it falls inside ONS's interval in {int(inside.sum())} of "
        f"{len(codes)} sub-regions."
    )
    return {
        "reading": reading,
        "interval_width_median_pct": round(width, 1),
        "target": "ONS Internet users, UK: 2020, table 9a: adults not online in the last three months, by London "
                  "sub-region (NUTS3), with 95% intervals (Labour Force Survey)",
        "areas": len(codes),
        "independence": (
            "The index is fitted to Census 2021 return behaviour only and never sees these figures. The published "
            "residents-offline estimate is calibrated to them, so it is validated here only uncalibrated or "
            "calibrated leaving the sub-region being checked out."
        ),
        "methods": results,
        "leave_one_out": {
            "inside_interval": int(inside.sum()),
            "areas": len(codes),
            "median_abs_error_pct": round(float(np.median(np.abs(loo - ons_est) / ons_est) * 100), 1),
        },
        "sub_regions": rows,
        "biases": TARGET_BIASES,
    }


def _weighs(learned: list[dict[str, Any]] | None, top: int = 4) -> str:
    """", and among its largest weights outside age and disability: A, B, C and D" (from the learned weights)."""
    others = sorted((w for w in learned or [] if w["need_type"] != "age" and float(w["weight"]) > 0),
                    key=lambda w: -float(w["weight"]))[:top]
    if not others:
        return ""
    names = [str(w["name"]).lower() if not str(w["name"])[:2].isupper() else str(w["name"]) for w in others]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f", and among its largest weights outside age and disability are {listed}"


def agreement(lsoa: pd.DataFrame, learned: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """How the composite index (household return behaviour) and the residents-offline estimate (individuals,
    from age and disability) agree, overall and by borough, and where they disagree. ``learned`` (the
    manifest's learned weights) names what else the index weighs most."""
    f = lsoa.dropna(subset=["score", "offline_rate"])
    rho = float(spearmanr(f["score"], f["offline_rate"])[0])
    n = len(f)
    k = max(1, round(n / 10))
    top_index = set(f.nlargest(k, "score")["lsoa21_code"])
    top_est = set(f.nlargest(k, "offline_rate")["lsoa21_code"])
    per: list[dict[str, Any]] = []
    for name, b in f.groupby("ltla24_name"):
        per.append({
            "borough": str(name), "areas": len(b),
            "top_decile_index": int(b["lsoa21_code"].isin(top_index).sum()),
            "top_decile_estimate": int(b["lsoa21_code"].isin(top_est).sum()),
            "rho": round(float(spearmanr(b["score"], b["offline_rate"])[0]), 3) if len(b) >= 10 else None,
        })
    per.sort(key=lambda r: -(r["top_decile_estimate"] - r["top_decile_index"]))
    more_est = [r for r in per if r["top_decile_estimate"] > r["top_decile_index"]][:3]
    more_idx = sorted((r for r in per if r["top_decile_index"] > r["top_decile_estimate"]),
                      key=lambda r: -(r["top_decile_index"] - r["top_decile_estimate"]))[:3]

    def names(rows: list[dict[str, Any]]) -> str:
        return ", ".join(f"{r['borough']} (estimate {r['top_decile_estimate']}, index {r['top_decile_index']})"
                         for r in rows)

    explanation = (
        f"The two agree {'well' if rho >= 0.7 else 'moderately' if rho >= 0.4 else 'weakly'} (Spearman ρ = "
        f"{rho:.2f} over {n:,} areas; {len(top_index & top_est)} of the index's {k} highest-risk areas are also "
        f"among the {k} with the highest estimated share of adults offline). "
        "The residents-offline estimate counts individuals from age and disability alone, at national rates, "
        "so it is highest where many residents are old or disabled, whatever their household. The index learned "
        f"from household returns{_weighs(learned)}; because one person can file for a whole household, it can "
        "read large households as more included. "
        + (f"The estimate puts more of London's top decile in {names(more_est)}; " if more_est else "")
        + (f"the index puts more in {names(more_idx)}." if more_idx else "")
        + " Where they disagree, use the estimate to size the number of people and the index to see which "
          "barriers (other than age) are present."
    )
    return {"spearman": round(rho, 4), "areas": n, "top_decile": k, "top_decile_both": len(top_index & top_est),
            "per_borough": per, "explanation": explanation}
