"""Scores, calibration and the out-of-fold validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from boroughs.inclusion import scoring
from boroughs.inclusion.index import BuildResult
from boroughs.inclusion.indicators import Inputs


def test_normalisations_orient_and_scale(london_inputs: Inputs) -> None:
    x = scoring.oriented(london_inputs.values, london_inputs.catalogue)
    j = london_inputs.catalogue.ids.index("private_renting")  # direction -1
    assert np.corrcoef(np.nan_to_num(x[:, j]), london_inputs.values["private_renting"])[0, 1] < -0.99
    r = scoring.normalise(x, "rank")
    assert r.min() >= 0 and r.max() <= 1
    z = scoring.normalise(x, "zscore")
    assert abs(np.nanmean(z[:, 0])) < 1e-9
    m = scoring.normalise(x, "minmax")
    assert m.min() >= 0 and m.max() <= 1
    assert np.isfinite(r).all() and np.isfinite(z).all() and np.isfinite(m).all()


def test_weights_are_parameters(london_inputs: Inputs) -> None:
    cat = london_inputs.catalogue
    x = scoring.oriented(london_inputs.values, cat)
    base, types = scoring.fixed_score(x, cat, "rank", scoring.Weights())
    only_age, _ = scoring.fixed_score(
        x, cat, "rank", scoring.Weights(need_types={t: (1.0 if t == "age" else 0.0) for t in cat.need_types})
    )
    age_col = list(cat.need_types).index("age")
    assert np.allclose(only_age, types[:, age_col])
    assert not np.allclose(base, only_age)


def test_out_of_fold_beats_the_target_and_the_comparators(london_build: BuildResult) -> None:
    v = london_build.validation
    assert v["default_method"] == v["best_out_of_fold"] == "calibrated"
    cal = v["methods"]["calibrated"]
    assert cal["spearman"] >= 0.70
    assert cal["areas"] == v["coverage"]["areas_with_truth"] < v["coverage"]["areas"]
    assert cal["spearman"] > v["comparators"]["deri"]["spearman"] > v["comparators"]["imd2019"]["spearman"]
    assert v["comparators"]["deri"]["areas"] <= cal["areas"]
    assert 0 < cal["top_decile"]["captured"] <= cal["top_decile"]["worst_decile"]
    assert all(g["areas"] >= 10 for g in cal["per_group"].values())
    assert len(v["learned_weights"]) == len(london_build.manifest["indicators"])


def test_held_out_truth_is_never_used_for_its_own_predictions(london_inputs: Inputs) -> None:
    """Scrambling one borough's observed values leaves that borough's out-of-fold scores unchanged."""
    x = scoring.oriented(london_inputs.values, london_inputs.catalogue)
    z = scoring.standardised(x, "zscore")
    y = london_inputs.truth["offline_share"].to_numpy(dtype=float)
    groups = london_inputs.geo["ltla24_code"].to_numpy()
    borough = pd.Series(groups[np.isfinite(y)]).value_counts().index[0]
    held = groups == borough
    first = scoring.out_of_fold(z, y, groups)
    y2 = y.copy()
    rng = np.random.default_rng(1)
    y2[held & np.isfinite(y)] = rng.permutation(y2[held & np.isfinite(y)])[::-1]
    second = scoring.out_of_fold(z, y2, groups)
    assert np.allclose(first[held], second[held])
    assert not np.allclose(first[~held], second[~held])


def test_truth_is_not_an_input(london_inputs: Inputs) -> None:
    assert "offline_share" not in london_inputs.values.columns
    assert "online_share" not in london_inputs.values.columns
    y = london_inputs.truth["offline_share"].to_numpy()
    for col in london_inputs.values.columns:
        rho = spearmanr(london_inputs.values[col], y, nan_policy="omit")[0]
        assert abs(rho) < 0.9, col


def test_areas_without_truth_are_scored(london_build: BuildResult) -> None:
    lsoa = london_build.lsoa
    no_truth = lsoa["observed_offline_share"].isna()
    assert no_truth.sum() > 1000  # the withheld boroughs
    assert lsoa.loc[no_truth, "score"].notna().all()
