"""Pairwise correlations between indicators, and the check that every strongly correlated pair inside one
need type (|r| > 0.8) has a written justification in the catalogue."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from boroughs.inclusion.build.catalogue import Catalogue

THRESHOLD = 0.8


def correlation_matrix(values: pd.DataFrame) -> pd.DataFrame:
    """Spearman correlations (robust to skew) of the raw indicator values."""
    return values.rank().corr(method="pearson").round(3)


def strong_pairs(corr: pd.DataFrame, catalogue: Catalogue) -> list[dict[str, Any]]:
    out = []
    ids = list(corr.columns)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            r = float(corr.loc[a, b])
            if np.isfinite(r) and abs(r) > THRESHOLD:
                ta, tb = catalogue.by_id(a).need_type, catalogue.by_id(b).need_type
                out.append(
                    {
                        "a": a,
                        "b": b,
                        "r": round(r, 3),
                        "same_need_type": ta == tb,
                        "need_types": [ta, tb],
                        "justification": catalogue.justification(a, b),
                    }
                )
    return out


def unjustified(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in pairs if p["same_need_type"] and not p["justification"]]


def markdown(pairs: list[dict[str, Any]], catalogue: Catalogue) -> str:
    lines = [
        "# Indicator correlations",
        "",
        f"Pairs with |r| > {THRESHOLD} (Spearman). Pairs inside one need type must be justified in the catalogue.",
        "",
        "| indicator | indicator | r | same need type | justification |",
        "|---|---|---|---|---|",
    ]
    for p in pairs:
        lines.append(
            f"| {catalogue.by_id(p['a']).name} | {catalogue.by_id(p['b']).name} | {p['r']:+.2f} | "
            f"{'yes' if p['same_need_type'] else 'no'} | {p['justification'] or ('MISSING' if p['same_need_type'] else '')} |"
        )
    if not pairs:
        lines.append("| (none) | | | | |")
    lines.append("")
    lines.append("The full matrix is in `correlations.csv`.")
    return "\n".join(lines) + "\n"
