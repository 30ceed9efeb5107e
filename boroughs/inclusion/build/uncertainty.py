"""Monte Carlo uncertainty: how much would an area's rank move if the weights and normalisation were
chosen differently?

Each draw multiplies the weights by factors drawn uniformly from 0.5–1.5 (±50%) and picks one of the three
normalisations at random. For the fixed-weight methods every indicator weight and every need-type weight
gets its own factor. For the calibrated method the terms of each need type share one factor (a pair term of
two need types takes the mean of their two factors): correlated indicators inside a need type split the credit
between them arbitrarily, and shaking them independently would measure that split rather than uncertainty
about how much each need matters. Scores for all draws are computed at once (one matrix product per
normalisation), ranked, and summarised as each
area's 5th–95th percentile rank and the share of draws in which its decile differs from the published one.
An area is flagged *unstable* when its decile changes in more than 20% of draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from boroughs.inclusion.build.catalogue import Catalogue
from boroughs.inclusion.build.scoring import (
    NORMALISATIONS,
    Calibrated,
    Weights,
    design,
    membership,
    normalise,
    standardised,
)

UNSTABLE_SHARE = 0.2


@dataclass
class MonteCarlo:
    rank_low: np.ndarray  # 5th percentile of rank (1 = highest risk)
    rank_high: np.ndarray  # 95th percentile
    rank_median: np.ndarray
    decile_change_share: np.ndarray
    unstable: np.ndarray
    draws: int
    seed: int


def _deciles_from_ranks(ranks: np.ndarray, n: int) -> np.ndarray:
    """Decile 1 = the 10% of areas with the highest risk (rank 1 = highest)."""
    return np.minimum(10, np.ceil(ranks * 10.0 / n)).astype(np.int8)


def run(
    x: np.ndarray,
    catalogue: Catalogue,
    base_score: np.ndarray,
    *,
    method: str,
    weights: Weights,
    model: Calibrated | None = None,
    draws: int = 1000,
    seed: int = 20210321,
    spread: float = 0.5,
) -> MonteCarlo:
    """Run ``draws`` perturbed versions of the published score ``base_score`` (vectorised)."""
    rng = np.random.default_rng(seed)
    n, k = x.shape
    member = membership(catalogue)
    choice = rng.integers(0, len(NORMALISATIONS), size=draws)
    ind_factor = rng.uniform(1 - spread, 1 + spread, size=(draws, k))
    type_factor = rng.uniform(1 - spread, 1 + spread, size=(draws, member.shape[1]))
    # Draws are scored and ranked a block at a time, and ranks kept as float32, so memory stays small even
    # for England (33,755 areas × 1,000 draws).
    ranks = np.empty((n, draws), dtype=np.float32)
    fitted = model if method == "calibrated" else None
    if method == "calibrated" and fitted is None:
        raise ValueError("the calibrated method needs its fitted model")
    prepared = {}
    if fitted is not None:
        # each term's weight moves with its need type's factor (a pair term: the mean of its two indicators')
        t = fitted.terms
        term_types = member[t.first], member[np.where(t.pair, t.second, t.first)]
        r = normalise(x, "rank")
    for c, norm in enumerate(NORMALISATIONS):
        prepared[c] = design(standardised(x, norm), r, fitted.terms) if fitted is not None else normalise(x, norm)
    block = 100
    for start in range(0, draws, block):
        stop = min(draws, start + block)
        scores = np.empty((n, stop - start), dtype=np.float64)
        for c in prepared:
            idx = np.flatnonzero(choice[start:stop] == c)
            if not len(idx):
                continue
            d = idx + start
            if fitted is not None:
                # Learned weights vary need type by need type (±50%), so that correlated indicators inside
                # a need type, which split the credit between them, move together.
                factor = (type_factor[d] @ term_types[0].T + type_factor[d] @ term_types[1].T) / 2  # draws × terms
                w = fitted.coef[None, :] * factor
            else:
                iw = weights.indicator_vector(catalogue)[None, :] * ind_factor[d]  # d × k
                tw = weights.type_vector(catalogue)[None, :] * type_factor[d]  # d × t
                # weight of indicator i: iw[d,i] / (sum of iw in its type) × tw[d,type] / sum(tw[d])
                type_sum = iw @ member  # d × t
                w = iw * (((tw / tw.sum(axis=1, keepdims=True)) / type_sum) @ member.T)  # d × k
            scores[:, idx] = prepared[c] @ w.T
        ranks[:, start:stop] = rankdata(-scores, axis=0, method="average")
    base_rank = rankdata(-base_score, method="average")
    base_decile = _deciles_from_ranks(base_rank, n)
    changed = np.empty(n)
    low = np.empty(n)
    med = np.empty(n)
    high = np.empty(n)
    for r0 in range(0, n, 5000):
        r1 = min(n, r0 + 5000)
        part = ranks[r0:r1]
        changed[r0:r1] = (_deciles_from_ranks(part, n) != base_decile[r0:r1, None]).mean(axis=1)
        low[r0:r1], med[r0:r1], high[r0:r1] = np.percentile(part, [5, 50, 95], axis=1)
    return MonteCarlo(low, high, med, changed, changed > UNSTABLE_SHARE, draws, seed)


def as_frame(mc: MonteCarlo, index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank_low": np.round(mc.rank_low).astype(int),
            "rank_high": np.round(mc.rank_high).astype(int),
            "decile_change_share": np.round(mc.decile_change_share, 3),
            "unstable": mc.unstable,
        },
        index=index,
    )
