"""Monte Carlo rank intervals and area types."""

from __future__ import annotations

import json

import numpy as np

from boroughs.inclusion.build import scoring, typology, uncertainty
from boroughs.inclusion.build.index import BuildResult
from boroughs.inclusion.build.indicators import Inputs


def test_rank_intervals_and_flags(london_build: BuildResult) -> None:
    lsoa = london_build.lsoa
    assert london_build.manifest["monte_carlo"]["draws"] == 1000
    assert (lsoa["rank_low"] <= lsoa["rank_high"]).all()
    inside = (lsoa["rank_low"] <= lsoa["rank"]) & (lsoa["rank"] <= lsoa["rank_high"])
    assert inside.mean() > 0.9
    assert (lsoa["unstable"] == (lsoa["decile_change_share"] > 0.2)).all()
    # The extremes are steadier than the middle.
    top = lsoa[lsoa["rank"] <= 50]["decile_change_share"].mean()
    middle = lsoa[lsoa["decile"] == 5]["decile_change_share"].mean()
    assert top < middle


def test_monte_carlo_is_reproducible_and_responds_to_spread(london_inputs: Inputs) -> None:
    cat = london_inputs.catalogue
    x = scoring.oriented(london_inputs.values, cat)
    base, _ = scoring.fixed_score(x, cat, "rank", scoring.Weights())
    a = uncertainty.run(x, cat, base, method="rank", weights=scoring.Weights(), draws=200, seed=5)
    b = uncertainty.run(x, cat, base, method="rank", weights=scoring.Weights(), draws=200, seed=5)
    assert np.array_equal(a.rank_low, b.rank_low)
    narrow = uncertainty.run(x, cat, base, method="rank", weights=scoring.Weights(), draws=200, seed=5, spread=0.05)
    assert (narrow.rank_high - narrow.rank_low).mean() < (a.rank_high - a.rank_low).mean()


def test_area_types_are_stable_and_named(london_build: BuildResult) -> None:
    lsoa = london_build.lsoa
    profiles = lsoa[[c for c in lsoa.columns if c.startswith("need_")]].to_numpy() / 100
    assert typology.stability(profiles, k=6, seeds=(0, 1, 2)) >= 0.9
    names = london_build.manifest["area_types"]
    assert 5 <= len(names) <= 8
    assert len(set(names.values())) == len(names)
    # Named by what they are (their needs), never by a risk level their scores would contradict.
    assert all(n[0].isupper() and "risk" not in n.lower() for n in names.values())
    descriptions = [t["description"] for t in json.loads((london_build.out_dir / "area_types.json").read_text())["types"]]
    assert len(set(descriptions)) == len(descriptions)
    # Type 1 has the highest average score.
    means = lsoa.groupby("area_type")["score"].mean()
    assert means.idxmax() == 1
