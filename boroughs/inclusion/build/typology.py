"""Area types: groups of LSOAs with similar need-type profiles, with plain-English names.

k-means (k = 6 by default, 10 starts) on the need-type percentiles (0–1). Types are numbered by their
average overall score (type 1 = highest average score) and named by what they are: the need types on which
the group sits above the London median (or "few needs above the London median"), never by a risk level,
since a type's areas span much of the score range. Each description is unique: it gives the number of
areas, the type's average score and its range, and its profile. Stability is measured by the adjusted
Rand index between runs with different seeds (tested to be at least 0.9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from boroughs.inclusion.build.catalogue import Catalogue

PHRASES = {
    "access": "poor broadband and distance from services",
    "affordability": "low incomes and crowded homes",
    "skills": "low skills and worklessness",
    "language": "language, disability and health barriers",
    "age": "older residents, many living alone",
}
LEVELS = ("Highest risk", "High risk", "Above-average risk", "Below-average risk", "Low risk", "Lowest risk",
          "Very low risk", "Minimal risk")


@dataclass
class Typology:
    labels: np.ndarray  # 1..k for each area (1 = highest average score)
    names: dict[int, str]
    descriptions: dict[int, str]
    centroids: pd.DataFrame  # type × need type (percentile 0–100)
    seed: int


def cluster(profiles: np.ndarray, k: int = 6, seed: int = 0) -> np.ndarray:
    # One OpenMP thread: on a busy two-core machine k-means is many times faster without thread contention.
    with threadpool_limits(limits=1, user_api="openmp"):
        return np.asarray(KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(profiles))


def stability(profiles: np.ndarray, k: int = 6, seeds: tuple[int, ...] = (0, 1, 2)) -> float:
    """Smallest adjusted Rand index between the first seed's clustering and each other seed's."""
    first = cluster(profiles, k, seeds[0])
    return min(float(adjusted_rand_score(first, cluster(profiles, k, s))) for s in seeds[1:])


def build_typology(
    need_pct: pd.DataFrame, score: np.ndarray, catalogue: Catalogue, k: int = 6, seed: int = 0
) -> Typology:
    """``need_pct``: areas × need types, percentiles 0–100; ``score``: the overall score."""
    if not 5 <= k <= 8:
        raise ValueError("the number of area types must be between 5 and 8")
    need_pct = need_pct.rename(columns=lambda c: c.removeprefix("need_"))
    prof = need_pct.to_numpy(dtype=float) / 100.0
    raw = cluster(prof, k, seed)
    order = pd.Series(score).groupby(raw).mean().sort_values(ascending=False).index.to_list()
    relabel = {old: new + 1 for new, old in enumerate(order)}
    labels = np.array([relabel[c] for c in raw])
    cent = need_pct.groupby(labels).mean()
    names: dict[int, str] = {}
    descriptions: dict[int, str] = {}
    score_s = pd.Series(np.asarray(score, dtype=float))
    for t in cent.index:
        row = cent.loc[t]
        above = row[row > 55].sort_values(ascending=False)
        if len(above) == 0:
            name = "Few needs above the London median"
        elif len(above) >= 4:
            name = "Several needs above the London median"
        else:
            name = "Higher need: " + "; ".join(PHRASES.get(str(n), str(n)) for n in above.index[:2])
        if name in names.values():  # two types with the same stand-out needs: tell them apart by the next one
            rest = row.drop(above.index[:2]).sort_values(ascending=False)
            name = f"{name}, then {catalogue.need_types[str(rest.index[0])].name.lower()}"
        n_ = 2
        while name in names.values():
            name = f"{name} ({n_})"
            n_ += 1
        names[int(t)] = name
        parts = []
        for n, v in row.sort_values(ascending=False).items():
            nt = catalogue.need_types[str(n)].name.lower()
            word = "well above" if v >= 70 else "above" if v > 55 else "close to" if v >= 45 else "below" if v > 30 else "well below"
            parts.append(f"{nt} {word} the London median ({v:.0f})")
        sc = score_s[labels == t]
        descriptions[int(t)] = (
            f"{int((labels == t).sum()):,} areas; average score {sc.mean():.1f} (middle half "
            f"{sc.quantile(0.25):.1f} to {sc.quantile(0.75):.1f}). Need-type percentiles: " + "; ".join(parts) + "."
        )
    cent.index.name = "area_type"
    return Typology(labels, names, descriptions, cent.round(1), seed)


def _level(t: int, k: int) -> str:
    frac = (t - 0.5) / k
    if frac < 0.2:
        return "Highest risk"
    if frac < 0.4:
        return "High risk"
    if frac < 0.6:
        return "Middle risk"
    if frac < 0.8:
        return "Low risk"
    return "Lowest risk"
