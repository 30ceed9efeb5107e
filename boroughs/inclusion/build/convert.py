"""Moving data from 2011 LSOAs to 2021 LSOAs with the ONS best-fit lookup.

The rule (documented in ``docs/inclusion/method.md``):

* **Unchanged** (``U``): the 2021 area copies the 2011 value.
* **Split** (``S``, one 2011 area became several): every child takes the parent's *rate*; a *count* is
  shared among the children in proportion to their 2021 population (equally when no population is given).
* **Merged** (``M``, several 2011 areas became one): the child takes the *population-weighted mean* of the
  parents' rates (weights: the parents' populations) and the *sum* of their counts.
* **Complex** (``X``, none in London) falls out of the same two formulas.

If any parent of a 2021 area has no value (for example a withheld row), the 2021 area has no value either:
we never fill in a value from a part of the area.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def to_lsoa21(
    frame: pd.DataFrame,
    lookup: pd.DataFrame,
    *,
    rates: Sequence[str] = (),
    counts: Sequence[str] = (),
    parent_weight: pd.Series | None = None,
    child_weight: pd.Series | None = None,
    lsoa21: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Convert ``frame`` (indexed or keyed by ``lsoa11_code``) to one row per ``lsoa21_code``.

    ``parent_weight`` (by lsoa11_code) weights rates in merges; ``child_weight`` (by lsoa21_code) shares
    counts in splits. ``lsoa21`` restricts the result to these 2021 codes (in this order); 2021 areas whose
    parents are all absent from ``frame`` get missing values.
    """
    data = frame.set_index("lsoa11_code") if "lsoa11_code" in frame.columns else frame
    pairs = lookup[["lsoa11_code", "lsoa21_code"]]
    if lsoa21 is not None:
        pairs = pairs[pairs["lsoa21_code"].isin(set(lsoa21))]
    pairs = pairs.reset_index(drop=True)
    parent = pairs["lsoa11_code"].to_numpy()
    child = pairs["lsoa21_code"].to_numpy()
    out_index = pd.Index(lsoa21 if lsoa21 is not None else pd.unique(child), name="lsoa21_code")
    child_pos = out_index.get_indexer(child)
    n = len(out_index)
    result = pd.DataFrame(index=out_index)

    present = data.index.get_indexer(parent)
    if rates:
        w = (
            parent_weight.reindex(parent).to_numpy(dtype=float)
            if parent_weight is not None
            else np.ones(len(parent))
        )
        w = np.where(np.isfinite(w) & (w > 0), w, 1.0)
        wsum = np.bincount(child_pos, weights=w, minlength=n)
        for col in rates:
            v = np.full(len(parent), np.nan)
            ok = present >= 0
            v[ok] = data[col].to_numpy(dtype=float)[present[ok]]
            missing = np.bincount(child_pos, weights=np.isnan(v).astype(float), minlength=n) > 0
            total = np.bincount(child_pos, weights=np.nan_to_num(v) * w, minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                res = total / wsum
            res[missing | (np.bincount(child_pos, minlength=n) == 0)] = np.nan
            result[col] = res
    if counts:
        if child_weight is not None:
            cw = child_weight.reindex(child).to_numpy(dtype=float)
            cw = np.where(np.isfinite(cw) & (cw > 0), cw, 1.0)
        else:
            cw = np.ones(len(child))
        _parent_codes, parent_pos = np.unique(parent, return_inverse=True)
        share = cw / np.bincount(parent_pos, weights=cw)[parent_pos]
        for col in counts:
            v = np.full(len(parent), np.nan)
            ok = present >= 0
            v[ok] = data[col].to_numpy(dtype=float)[present[ok]]
            missing = np.bincount(child_pos, weights=np.isnan(v).astype(float), minlength=n) > 0
            res = np.asarray(np.bincount(child_pos, weights=np.nan_to_num(v) * share, minlength=n), dtype=float)
            res[missing | (np.bincount(child_pos, minlength=n) == 0)] = np.nan
            result[col] = res
    return result.reset_index()
