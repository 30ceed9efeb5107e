"""Estimated residents offline, calibrated to ONS London sub-regions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from boroughs.inclusion.build.index import BuildResult


def test_sub_region_sums_lie_within_ons_intervals(london_build: BuildResult) -> None:
    cal = pd.read_csv(london_build.out_dir / "calibration_nuts3.csv")
    assert len(cal) == 21
    assert (cal["calibrated_sum"] >= cal["ons_lower"] - 1).all()
    assert (cal["calibrated_sum"] <= cal["ons_upper"] + 1).all()
    lsoa = london_build.lsoa
    lsoa_sum = lsoa.groupby(lsoa["ltla24_code"])["offline_estimate"].sum().sum()
    assert abs(lsoa_sum - cal["calibrated_sum"].sum()) / lsoa_sum < 0.01


def test_london_total_and_intervals(london_build: BuildResult) -> None:
    est = london_build.manifest["estimates"]
    low, _, high = est["ons_london_95ci"]
    assert low <= est["london_total"] <= high
    lsoa = london_build.lsoa
    assert (lsoa["offline_low"] <= lsoa["offline_estimate"] + 0.5).all()
    assert (lsoa["offline_estimate"] <= lsoa["offline_high"] + 0.5).all()
    assert (lsoa["offline_estimate"] < lsoa["adults"]).all()
    # Older areas have more residents offline, as the ONS rates say they should.
    assert np.corrcoef(lsoa["offline_rate"], lsoa["need_age"])[0, 1] > 0.5


def test_roll_ups_add_up(london_build: BuildResult) -> None:
    lsoa = london_build.lsoa
    for name, code, count in (("ward", "ward24_code", 684), ("msoa21", "msoa21_code", 1002),
                              ("borough", "ltla24_code", 33)):
        frame = pd.read_csv(london_build.out_dir / f"{name}.csv")
        assert len(frame) == count, name
        assert frame["lsoas"].sum() == 4994
        assert frame["offline_estimate"].sum() == pytest_approx(lsoa["offline_estimate"].sum(), 0.002)
        assert (frame["offline_low"] <= frame["offline_estimate"] + 1).all()
        assert (frame["offline_high"] >= frame["offline_estimate"] - 1).all()
        assert set(frame[code]) == set(lsoa[code])
    borough = pd.read_csv(london_build.out_dir / "borough.csv")
    # A borough's interval is relatively narrower than its LSOAs' (chance variation averages out).
    lsoa_width = ((lsoa["offline_high"] - lsoa["offline_low"]) / lsoa["offline_estimate"]).median()
    borough_width = ((borough["offline_high"] - borough["offline_low"]) / borough["offline_estimate"]).median()
    assert borough_width < lsoa_width


def pytest_approx(value: float, rel: float) -> object:
    import pytest

    return pytest.approx(value, rel=rel)


def test_the_agreement_note_names_what_the_model_weighs_most(london_build: BuildResult) -> None:
    """The plain-English comparison of the index with the residents-offline estimate names the indicators
    with the largest learned weights outside age and disability, as the manifest lists them."""
    note = london_build.validation["agreement"]["explanation"]
    weights = [w for w in london_build.manifest["learned_weights"] if w["need_type"] != "age" and w["weight"] > 0]
    largest = max(weights, key=lambda w: w["weight"])
    smallest = min(weights, key=lambda w: w["weight"])
    assert largest["name"].lower() in note.lower()
    assert smallest["name"].lower() not in note.lower()
