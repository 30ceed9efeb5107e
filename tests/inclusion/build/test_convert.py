"""2011 → 2021 conversion on real split and merged London areas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boroughs.inclusion.build.convert import to_lsoa21
from boroughs.inclusion.sources import imd, lookups, population


@pytest.fixture(scope="module")
def bridge(data_dir: Path) -> pd.DataFrame:
    lk = lookups.load_lsoa11_lsoa21(data_dir)
    london = set(lookups.london_lsoa21(data_dir)["lsoa21_code"])
    return lk[lk["lsoa21_code"].isin(london)]


@pytest.fixture(scope="module")
def imd19(data_dir: Path) -> pd.DataFrame:
    return imd.load_imd2019_london(data_dir)


@pytest.fixture(scope="module")
def pop(data_dir: Path) -> pd.DataFrame:
    return population.load_population(data_dir)


def test_london_change_counts(bridge: pd.DataFrame) -> None:
    counts = bridge.drop_duplicates("lsoa21_code")["change_code"].value_counts()
    assert counts["U"] == 4659
    assert bridge[bridge["change_code"] == "M"]["lsoa21_code"].nunique() < bridge[bridge["change_code"] == "M"]["lsoa11_code"].nunique()


def test_unchanged_split_and_merged(bridge: pd.DataFrame, imd19: pd.DataFrame, pop: pd.DataFrame) -> None:
    weights = pop.set_index("lsoa11_code")["pop_total_2020"]
    codes = sorted(bridge["lsoa21_code"].unique())
    out = to_lsoa21(imd19, bridge, rates=["imd_score"], parent_weight=weights, lsoa21=codes).set_index("lsoa21_code")
    assert len(out) == 4994 and out["imd_score"].notna().all()
    scores = imd19.set_index("lsoa11_code")["imd_score"]

    unchanged = bridge[bridge["change_code"] == "U"].iloc[0]
    assert out.loc[unchanged["lsoa21_code"], "imd_score"] == scores[unchanged["lsoa11_code"]]

    split_parent = bridge[bridge["change_code"] == "S"]["lsoa11_code"].iloc[0]
    children = bridge[bridge["lsoa11_code"] == split_parent]["lsoa21_code"]
    assert len(children) >= 2
    assert out.loc[children, "imd_score"].to_numpy() == pytest.approx([scores[split_parent]] * len(children))

    merged_child = bridge[bridge["change_code"] == "M"]["lsoa21_code"].iloc[0]
    parents = bridge[bridge["lsoa21_code"] == merged_child]["lsoa11_code"]
    assert len(parents) >= 2
    expected = np.average(scores[parents], weights=weights[parents])
    assert out.loc[merged_child, "imd_score"] == pytest.approx(expected)
    assert scores[parents].min() <= out.loc[merged_child, "imd_score"] <= scores[parents].max()


def test_counts_are_shared_on_splits_and_summed_on_merges(bridge: pd.DataFrame, pop: pd.DataFrame) -> None:
    codes = sorted(bridge["lsoa21_code"].unique())
    out = to_lsoa21(pop, bridge, counts=["pop_total_2020"], lsoa21=codes).set_index("lsoa21_code")
    # Totals are preserved: London's population is the same on either geography.
    assert out["pop_total_2020"].sum() == pytest.approx(pop["pop_total_2020"].sum())
    merged_child = bridge[bridge["change_code"] == "M"]["lsoa21_code"].iloc[0]
    parents = bridge[bridge["lsoa21_code"] == merged_child]["lsoa11_code"]
    assert out.loc[merged_child, "pop_total_2020"] == pytest.approx(
        pop.set_index("lsoa11_code").loc[parents, "pop_total_2020"].sum()
    )
    split_parent = bridge[bridge["change_code"] == "S"]["lsoa11_code"].iloc[0]
    children = bridge[bridge["lsoa11_code"] == split_parent]["lsoa21_code"]
    assert out.loc[children, "pop_total_2020"].sum() == pytest.approx(
        pop.set_index("lsoa11_code").loc[split_parent, "pop_total_2020"]
    )


def test_missing_parent_leaves_child_blank(bridge: pd.DataFrame, imd19: pd.DataFrame) -> None:
    merged_child = bridge[bridge["change_code"] == "M"]["lsoa21_code"].iloc[0]
    one_parent = bridge[bridge["lsoa21_code"] == merged_child]["lsoa11_code"].iloc[0]
    partial = imd19[imd19["lsoa11_code"] != one_parent]
    out = to_lsoa21(partial, bridge, rates=["imd_score"], lsoa21=[merged_child])
    assert out["imd_score"].isna().all()
