"""Estimated residents (adults 16+) who have not used the internet in the last three months.

1. **Rates.** ONS *Internet users, UK: 2020* gives the share of adults who had *not* used the internet in
   the last three months for each age band (16–24 … 75+) split by Equality Act disability (table 3b).
2. **People.** Each LSOA's adults by the same age bands: 65–74 and 75+ from Census 2021; younger bands from
   the mid-2020 age profile (2011 areas converted to 2021) applied to the Census 2021 population. The
   disabled share in each band is the national share for that band (table 3a) scaled by how much more or
   less disability the LSOA has than its age profile predicts (Census 2021 TS038).
3. **Calibration.** Summed over each London sub-region (NUTS3, table 9a), the expected number is compared
   with ONS's survey estimate and its 95% confidence interval. If the sum falls outside the interval it is
   scaled to the nearest end of it; inside it is left alone. So every sub-region's sum lies within ONS's
   stated uncertainty.
4. **Interval.** 1,000 draws: the sub-region total varies with the survey's standard error (from its 95%
   interval), and the LSOA count varies by chance around its expected value (Poisson). The 5th and 95th
   percentiles of the draws give a 90% interval; roll-ups sum the draws, so their intervals are consistent.

These intervals cover survey and chance variation, not errors in the assumption that national age and
disability rates apply locally.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from boroughs.inclusion.sources.ons_internet import InternetUseTables, nuts3_for_boroughs

BANDS = ("16_24", "25_34", "35_44", "45_54", "55_64", "65_74", "75_plus")
Z95 = 1.959964


@dataclass
class Estimates:
    lsoa: pd.DataFrame  # index lsoa21_code: adults, offline_expected_raw, offline_estimate, offline_low, offline_high
    nuts3: pd.DataFrame  # per sub-region: model sum before/after calibration, ONS lower/estimate/upper, factor
    draws: np.ndarray  # lsoa × draws (float32) for roll-ups
    london_total: float
    london_ons: tuple[float, float, float]


def expected_offline(people: pd.DataFrame, tables: InternetUseTables) -> pd.DataFrame:
    adults = people[[f"adults_{b}" for b in BANDS]].to_numpy(dtype=float)
    adults = np.nan_to_num(adults)
    nat_dis = tables.disabled_share.loc[list(BANDS), "disabled_share"].to_numpy()
    r_dis = tables.offline_pct.loc[list(BANDS), "disabled"].to_numpy() / 100.0
    r_not = tables.offline_pct.loc[list(BANDS), "not_disabled"].to_numpy() / 100.0
    residents = people["residents"].to_numpy(dtype=float)
    expected_disabled = (adults * nat_dis).sum(axis=1)
    observed_disabled = people["disabled_share"].to_numpy(dtype=float) * residents
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(expected_disabled > 0, observed_disabled / expected_disabled, 1.0)
    factor = np.nan_to_num(factor, nan=1.0)
    p_dis = np.clip(nat_dis[None, :] * factor[:, None], 0.0, 0.95)
    offline = adults * (p_dis * r_dis[None, :] + (1 - p_dis) * r_not[None, :])
    return pd.DataFrame(
        {
            "adults": adults.sum(axis=1),
            "disability_factor": factor,
            "offline_expected_raw": offline.sum(axis=1),
        },
        index=people.index,
    )


def estimate(
    people: pd.DataFrame,
    geo: pd.DataFrame,
    tables: InternetUseTables,
    *,
    draws: int = 1000,
    seed: int = 20200401,
) -> Estimates:
    """Estimates for London LSOAs (``geo`` needs ``lsoa21_code``, ``ltla24_code``, ``ltla24_name``)."""
    base = expected_offline(people, tables)
    nuts_map = nuts3_for_boroughs(tables.nuts3, geo)
    g = geo[["lsoa21_code", "ltla24_code"]].merge(nuts_map, on="ltla24_code", how="left").set_index("lsoa21_code")
    g = g.reindex(base.index)
    sums = base["offline_expected_raw"].groupby(g["nuts3_code"]).sum()
    ons = tables.nuts3.set_index("nuts3_code")
    lower, est, upper = (ons[c].reindex(sums.index).to_numpy() * 1000 for c in ("lower", "estimate", "upper"))
    target = np.clip(sums.to_numpy(), lower, upper)
    factor = target / sums.to_numpy()
    se = (upper - lower) / (2 * Z95)
    nuts = pd.DataFrame(
        {
            "nuts3_name": ons["nuts3_name"].reindex(sums.index),
            "model_sum": sums.round(0),
            "ons_lower": lower,
            "ons_estimate": est,
            "ons_upper": upper,
            "calibrated_sum": target.round(0),
            "factor": factor.round(4),
        },
        index=sums.index,
    )
    lsoa_factor = pd.Series(factor, index=sums.index).reindex(g["nuts3_code"]).to_numpy()
    point = base["offline_expected_raw"].to_numpy() * lsoa_factor
    rng = np.random.default_rng(seed)
    # Sub-region level: draw the calibrated total with the survey's standard error (at least 10% of it kept).
    tot_draws = rng.normal(target[:, None], se[:, None], size=(len(target), draws))
    tot_draws = np.maximum(tot_draws, 0.1 * target[:, None])
    ratio = tot_draws / target[:, None]
    pos = pd.Index(sums.index).get_indexer(g["nuts3_code"])
    lam = point[:, None] * ratio[pos]
    sim = rng.poisson(lam).astype(np.float32)
    low, high = np.percentile(sim, [5, 95], axis=1)
    lsoa = base.copy()
    lsoa["nuts3_code"] = g["nuts3_code"].to_numpy()
    lsoa["offline_estimate"] = point
    lsoa["offline_low"] = low
    lsoa["offline_high"] = high
    lsoa["offline_rate"] = np.where(lsoa["adults"] > 0, point / lsoa["adults"], np.nan)
    return Estimates(lsoa, nuts, sim, float(point.sum()), tuple(x * 1000 for x in tables.london))  # type: ignore[arg-type]


def roll_up(est: Estimates, keys: pd.Series) -> pd.DataFrame:
    """Sum LSOA estimates (and their draws, for a 90% interval) by ``keys`` (indexed by lsoa21_code)."""
    k = keys.reindex(est.lsoa.index)
    codes, inv = np.unique(k.astype(str).to_numpy(), return_inverse=True)
    m = sparse.csr_matrix((np.ones(len(inv)), (inv, np.arange(len(inv)))), shape=(len(codes), len(inv)))
    sums = m @ est.draws
    low, high = np.percentile(np.asarray(sums), [5, 95], axis=1)
    out = pd.DataFrame(
        {
            "adults": m @ est.lsoa["adults"].to_numpy(),
            "offline_estimate": m @ est.lsoa["offline_estimate"].to_numpy(),
            "offline_low": low,
            "offline_high": high,
        },
        index=pd.Index(codes, name=keys.name),
    )
    out["offline_rate"] = out["offline_estimate"] / out["adults"]
    return out
