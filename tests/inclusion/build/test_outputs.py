"""Output files and the contract in DESIGN.md."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from boroughs.inclusion.build.index import BuildResult, BuiltIndex


def test_contract_files_and_columns(london_build: BuildResult) -> None:
    out = london_build.out_dir
    for f in ("lsoa21.csv", "ward.csv", "msoa21.csv", "borough.csv", "lsoa21.geojson", "data_dictionary.csv",
              "manifest.json", "validation.json", "validation.md", "validation.html", "validation_scatter.svg",
              "validation_deciles.svg", "validation_ons.svg", "correlations.csv", "correlations.md", "area_types.json"):
        assert (out / f).is_file(), f
    lsoa = pd.read_csv(out / "lsoa21.csv")
    for col in ("lsoa21_code", "score", "need_access", "need_affordability", "need_skills", "need_language",
                "need_age", "offline_estimate", "offline_low", "offline_high", "area_type", "area_type_name",
                "rank_low", "rank_high", "unstable"):
        assert col in lsoa.columns, col
    assert len(lsoa) == 4994 and lsoa["lsoa21_code"].is_unique
    assert lsoa["score"].between(0, 100).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) <= {p.name for p in out.iterdir()}
    dictionary = pd.read_csv(out / "data_dictionary.csv")
    documented = set(dictionary[dictionary["file"] == "lsoa21.csv"]["column"])
    assert set(lsoa.columns) <= documented
    assert dictionary["description"].fillna("").str.len().min() > 10
    for name in ("ward.csv", "msoa21.csv", "borough.csv"):
        cols = pd.read_csv(out / name, nrows=1).columns
        documented_here = set(dictionary[dictionary["file"].str.contains(name, regex=False)]["column"])
        assert set(cols) <= documented_here, name
    assert not [p for p in out.parent.iterdir() if ".tmp-" in p.name]


def test_manifest_names_inputs_with_checksums(london_build: BuildResult, data_dir: Path) -> None:
    m = london_build.manifest
    assert m["default_method"] == "calibrated" and "out-of-fold" in m["default_method_reason"]
    assert m["counts"]["lsoa21"] == 4994 and m["counts"]["wards"] == 684
    assert m["package_version"]
    keys = {i["key"] for i in m["inputs"]}
    assert {"inclusion.census_age_london", "inclusion.imd2025_london", "inclusion.online_share_london",
            "inclusion.ons_internet_users_2020", "inclusion.boundaries_lsoa21"} <= keys
    entry = next(i for i in m["inputs"] if i["key"] == "inclusion.deri_london")
    assert entry["sha256"] == hashlib.sha256((data_dir / entry["path"]).read_bytes()).hexdigest()
    assert m["parameters"]["mc_draws"] == 1000


def test_geojson_layer(london_build: BuildResult) -> None:
    doc = json.loads((london_build.out_dir / "lsoa21.geojson").read_text())
    assert len(doc["features"]) == 4994
    props = doc["features"][0]["properties"]
    assert {"lsoa21_code", "score", "area_type_name", "need_age"} <= set(props)


def test_load_round_trip(london_index: BuiltIndex, london_build: BuildResult) -> None:
    assert len(london_index.lsoa) == 4994
    assert list(london_index.indicators.columns) == [i["id"] for i in london_build.manifest["indicators"]]
    assert london_index.contributions.shape == london_index.indicators.shape
