"""The map's reading of a built index (issue 4): areas, layers, re-weighting, profiles, summaries, search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from boroughs.config import reset_settings
from boroughs.core import geography
from boroughs.inclusion.map import profile, search, table
from boroughs.inclusion.map.index import MapIndex, combine
from boroughs.inclusion.map.loading import get_index
from tests.browser.conftest_map import map_env, map_index_dir  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def index(map_index_dir: Path) -> MapIndex:  # noqa: F811
    return get_index(map_index_dir)


@pytest.fixture(scope="module")
def built(map_index_dir: Path) -> pd.DataFrame:  # noqa: F811
    return pd.read_csv(map_index_dir / "lsoa21.csv", dtype={"lsoa21_code": str}).set_index("lsoa21_code")


def test_every_london_lsoa_is_on_the_map_once(index: MapIndex, data_dir: Path) -> None:
    boundaries = geography.read_layer("lsoa21", data_dir)
    assert index.n == 4994
    assert index.frame["code"].is_unique
    assert set(index.frame["code"]) == set(boundaries["lsoa21_code"])
    assert index.frame["borough_code"].nunique() == 33
    assert index.frame["ward_code"].notna().all()
    assert len(index.boroughs) == 33


def test_layers_cover_the_issue(index: MapIndex) -> None:
    kinds = {layer.kind for layer in index.layers}
    ids = {layer.id for layer in index.layers}
    assert {"score", "need", "indicator"} <= kinds
    assert len([t for t in index.need_types]) >= 4
    assert {f"need:{t.id}" for t in index.need_types} <= ids
    assert {"area_type", "residents", "residents_rate", "deri", "online_share"} <= ids
    for layer in index.layers:
        values = index.values(layer.id)
        assert len(values) == 4994, layer.id


def test_scores_are_the_built_scores_at_the_published_weights(index: MapIndex, built: pd.DataFrame) -> None:
    scores = index.scores(index.default_weights)
    expected = built.loc[index.frame["code"], "score"].to_numpy(dtype=float)
    np.testing.assert_allclose(scores, expected, equal_nan=True)


def test_reweighting_moves_scores_and_back_again(index: MapIndex) -> None:
    first = index.need_types[0]
    heavier = {**index.default_weights, first.id: index.default_weights[first.id] * 3}
    moved = index.scores(heavier)
    base = index.scores()
    assert not np.allclose(moved, base, equal_nan=True)
    # more weight on a need raises the areas with most of it (its contribution, in additive mode)
    need = index.frame[first.contrib or first.column].to_numpy(dtype=float)
    top = need >= np.nanquantile(need, 0.9)
    assert np.nanmean(index.evaluate(heavier)[1][top]) < np.nanmean(index.evaluate()[1][top])
    again = index.scores(index.parse_weights(",".join(f"{k}:{v}" for k, v in index.default_weights.items())))
    np.testing.assert_allclose(again, base, equal_nan=True)


def test_combine_is_a_shifted_weighted_mean() -> None:
    needs = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, np.nan]])
    base = np.array([0.6, 0.4, 0.5])
    out = combine(needs, [1.0, 1.0], base=base, default=[1.0, 1.0])
    np.testing.assert_allclose(out, base)
    only_first = combine(needs, [1.0, 0.0], base=base, default=[1.0, 1.0])
    np.testing.assert_allclose(only_first, [0.6 + 0.5, 0.4 - 0.5, 0.5])


def test_weights_from_the_address_are_checked(index: MapIndex) -> None:
    first = index.need_types[0].id
    weights = index.parse_weights(f"{first}:2,nonsense:4,{first}x:bad")
    assert weights[first] == 2.0
    assert "nonsense" not in weights
    assert index.parse_weights(f"{first}:99")[first] == 5.0
    assert index.parse_weights(f"{first}:-1")[first] == 0.0
    assert index.parse_weights(f"{first}:nan")[first] == index.default_weights[first]


def test_profile_matches_the_built_row(index: MapIndex, built: pd.DataFrame) -> None:
    code = "E01003480"  # Newham 033A
    p = profile.profile(index, code)
    row = built.loc[code]
    assert p["name"] == "Newham 033A"
    assert p["borough"]["name"] == "Newham"
    assert p["score"] == pytest.approx(float(row["score"]))
    expected_rank = int(row["rank"]) if "rank" in built else int((built["score"] > row["score"]).sum()) + 1
    assert p["rank"] == expected_rank
    for need in p["needs"]:
        t = next(t for t in index.need_types if t.id == need["id"])
        assert need["value"] == pytest.approx(float(row[t.column]))
    if index.columns["estimate"]:
        assert p["residents"]["estimate"] == pytest.approx(float(row[index.columns["estimate"]]))
    assert p["reasons"] and all(isinstance(r, str) and r.endswith(".") for r in p["reasons"])


def test_borough_summary_counts(index: MapIndex, data_dir: Path) -> None:
    lookup = geography.read_layer("lsoa21", data_dir)
    s = profile.borough_summary(index, "E09000025")
    assert s["name"] == "Newham"
    assert s["areas"] == int((lookup["ltla24_code"] == "E09000025").sum())
    ranks = index.evaluate()[1]
    inside = (index.frame["borough_code"] == "E09000025").to_numpy()
    assert s["areas_in_top_decile"] == int((inside & (ranks <= 500)).sum())
    assert s["worst"][0]["rank"] == int(ranks[inside].min())
    assert 0 <= s["share_residents_top_decile"] <= 1


def test_search_finds_places(index: MapIndex) -> None:
    kinds = {r["kind"]: r for r in search.search(index, "Beckton")}
    assert kinds["ward"]["name"] == "Beckton"
    assert search.search(index, "newham")[0] == {"kind": "borough", "label": "Newham (borough)",
                                                        "code": "E09000025", "name": "Newham"}
    assert search.search(index, "E01003480")[0]["code"] == "E01003480"
    assert search.search(index, "x") == []


def test_postcode_search_uses_the_configured_lookup(index: MapIndex, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # The file format of an ONS Postcode Directory extract (pcds, lsoa21cd); the row is a format fixture.
    lookup = tmp_path / "postcodes.csv"
    lookup.write_text("pcds,lsoa21cd,oslaua\nE16 9ZZ,E01003480,E09000025\n", encoding="utf-8")
    monkeypatch.setenv("BOROUGHS_POSTCODE_LOOKUP", str(lookup))
    reset_settings()
    try:
        found = search.search(index, "e16 9zz")
        assert found[0]["kind"] == "postcode" and found[0]["code"] == "E01003480"
    finally:
        monkeypatch.delenv("BOROUGHS_POSTCODE_LOOKUP")
        reset_settings()
    assert search.search(index, "E16 9ZZ") == []


def test_selection_filters_and_sorts(index: MapIndex) -> None:
    rows = table.selection(index, weights=index.default_weights, borough="E09000001")
    assert len(rows) == int((index.frame["borough_code"] == "E09000001").sum())
    assert list(rows["rank"]) == sorted(rows["rank"])
    by_name = table.selection(index, weights=index.default_weights, borough="E09000001", sort="name",
                                    descending=True)
    assert list(by_name["name"]) == sorted(by_name["name"], reverse=True)
    top = table.selection(index, weights=index.default_weights, min_decile=1)
    assert len(top) == int((index.evaluate()[1] <= 500).sum())


def test_demo_seed_keeps_an_existing_index(map_env: Path, map_index_dir: Path, session: Any) -> None:  # noqa: F811
    from boroughs.inclusion.demo import build_command, seed_demo

    before = (map_index_dir / "lsoa21.csv").stat().st_mtime_ns
    # no councils in this database, so no example provision either
    # (tests/inclusion/provision/test_provision_gaps.py checks the examples where Newham and Hackney exist)
    assert seed_demo(session) == {"inclusion_index_built": 0, "inclusion_example_sites": 0}
    assert (map_index_dir / "lsoa21.csv").stat().st_mtime_ns == before
    assert build_command(Path("data"), Path("out"))[-5:] == ["build", "--data-dir", "data", "--out", "out"]
