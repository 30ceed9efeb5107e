"""Evidence reviewers can check: per-field weights that add up, and the expected errors of a threshold.

* ``pair_evidence``: for one scored pair, the weight of evidence (in bits, log2 of a Bayes factor) of each
  comparison *as Splink scored it*, read from the comparison columns Splink retains (``mw_<comparison>`` and
  ``mw_tf_adj_<comparison>``, the term-frequency adjustment for common or rare values), and the prior (the
  probability that two records picked at random are one person, as log-odds). The parts sum to the pair's
  ``match_weight``; ``match_probability = 1 / (1 + 2 ** -match_weight)``.
* ``expected_errors``: from the match probabilities of the scored pairs, how many of the linked pairs are
  expected to be two different people (the sum of ``1 - p`` above the threshold), how many true matches are
  expected to be left unlinked (the sum of ``p`` below it) and how many pairs a review band sends to people.
  These are the model's own estimates; the benchmark (``benchmarks/support_linkage.py``) measures the real
  error rates on SYNTHETIC populations with known truth, and docs/support/linkage.md reports both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

PRIOR = "_prior"
WEIGHTS = "_weights"


def prior_weight(probability_two_random_records_match: float) -> float:
    p = probability_two_random_records_match
    return math.log2(p / (1 - p))


def _num(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(v) else v


def comparison_weights(pair: Mapping[str, Any], names: Iterable[str]) -> dict[str, float]:
    """Each comparison's weight for one pair: Splink's ``mw_<name>`` plus its ``mw_tf_adj_<name>``."""
    return {n: _num(pair.get(f"mw_{n}")) + _num(pair.get(f"mw_tf_adj_{n}")) for n in names}


def pairs_weights(pairs: pd.DataFrame, names: Iterable[str]) -> pd.DataFrame:
    """``comparison_weights`` for every row of Splink's predictions (vectorised), one column per comparison."""
    out = {}
    for n in names:
        w = pairs[f"mw_{n}"].astype(float) if f"mw_{n}" in pairs else pd.Series(0.0, index=pairs.index)
        if f"mw_tf_adj_{n}" in pairs:
            w = w + pairs[f"mw_tf_adj_{n}"].astype(float).fillna(0.0)
        out[n] = w.fillna(0.0)
    return pd.DataFrame(out, index=pairs.index)


def expected_errors(probabilities: Iterable[float] | np.ndarray, threshold: float,
                    band: tuple[float, float]) -> dict[str, float]:
    """What the model expects of a choice of threshold and review band, from the scored pairs' probabilities."""
    p = np.asarray(list(probabilities) if not isinstance(probabilities, np.ndarray) else probabilities,
                   dtype=float)
    linked = p >= threshold
    n_linked = int(linked.sum())
    false_matches = float((1.0 - p[linked]).sum())
    missed = float(p[~linked].sum())
    return {
        "threshold": threshold,
        "review_low": band[0],
        "review_high": band[1],
        "linked_pairs": n_linked,
        "expected_false_matches": round(false_matches, 1),
        "expected_precision": round(1.0 - false_matches / n_linked, 4) if n_linked else 1.0,
        "expected_missed_matches": round(missed, 1),
        "pairs_to_review": int(((p >= band[0]) & (p < band[1])).sum()),
        "expected_matches_in_review": round(float(p[(p >= band[0]) & (p < band[1])].sum()), 1),
    }
