"""London geography from the data directory: counts, codes, relationships and bad input (issue 2)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from boroughs.core import geography
from boroughs.core.errors import DataError


@pytest.fixture(scope="module")
def geo(data_dir):
    return geography.read_geography(data_dir)


def test_counts_match_london(geo):
    assert geo.counts() == {"borough": 33, "ward": 684, "msoa21": 1002, "lsoa21": 4994, "lsoa11": 4835}


def test_every_lsoa21_has_borough_ward_and_msoa_in_the_same_borough(geo):
    a = geo.areas
    lsoa = a[a.kind == "lsoa21"]
    assert lsoa[["borough_code", "ward_code", "msoa_code"]].notna().all().all()
    msoa_borough = a[a.kind == "msoa21"].set_index("code")["borough_code"]
    assert (lsoa["msoa_code"].map(msoa_borough) == lsoa["borough_code"]).all()
    ward_borough = a[a.kind == "ward"].set_index("code")["borough_code"]
    assert (lsoa["ward_code"].map(ward_borough) == lsoa["borough_code"]).all()


def test_lookup_covers_london_with_known_change_counts(geo):
    ch = geo.lsoa_changes
    by_code = ch.drop_duplicates("lsoa11_code")["change_code"].value_counts().to_dict()
    # ONS: in London 4,659 unchanged; the rest split or merged; nothing complex
    assert by_code.get("U") == 4659
    assert "X" not in by_code
    assert set(ch["lsoa21_code"]) == set(geo.areas.query("kind == 'lsoa21'")["code"])


def _copy_data(data_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    for folder in ("boundaries", "lookups"):
        shutil.copytree(data_dir / folder, target / folder)
    return target


def test_missing_directory(tmp_path):
    with pytest.raises(DataError, match="data directory does not exist"):
        geography.read_geography(tmp_path / "nowhere")


def test_missing_file_names_it_and_says_how_to_fetch(data_dir, tmp_path):
    d = _copy_data(data_dir, tmp_path)
    (d / "boundaries" / "london_wards22.geojson").unlink()
    with pytest.raises(DataError, match=r"london_wards22\.geojson.*missing.*boroughs data fetch"):
        geography.read_geography(d)


def test_truncated_geojson(data_dir, tmp_path):
    d = _copy_data(data_dir, tmp_path)
    p = d / "boundaries" / "london_lsoa21.geojson"
    p.write_bytes(p.read_bytes()[:50000])
    with pytest.raises(DataError, match=r"london_lsoa21\.geojson: the file is not valid GeoJSON"):
        geography.read_geography(d)


def test_corrupted_gzip_lookup(data_dir, tmp_path):
    d = _copy_data(data_dir, tmp_path)
    p = d / "lookups" / "lookup_lsoa11_lsoa21_ltla22_ew.csv.gz"
    p.write_bytes(p.read_bytes()[:20000])
    with pytest.raises(DataError, match=r"lookup_lsoa11_lsoa21_ltla22_ew\.csv\.gz: the file is truncated or corrupted"):
        geography.read_geography(d)


def test_renamed_column(data_dir, tmp_path):
    d = _copy_data(data_dir, tmp_path)
    p = d / "boundaries" / "london_msoa21.geojson"
    doc = json.loads(p.read_text())
    for f in doc["features"]:
        f["properties"]["MSOA21CD"] = f["properties"].pop("msoa21_code")
    p.write_text(json.dumps(doc))
    with pytest.raises(DataError, match=r"london_msoa21\.geojson: expected column\(s\) 'msoa21_code' not found"):
        geography.read_geography(d)


def test_foreign_code_names_the_row(data_dir, tmp_path):
    d = _copy_data(data_dir, tmp_path)
    p = d / "boundaries" / "london_boroughs_ltla21.geojson"
    doc = json.loads(p.read_text())
    doc["features"][4]["properties"]["ltla21_code"] = "W06000015"  # Cardiff
    p.write_text(json.dumps(doc))
    with pytest.raises(DataError) as exc:
        geography.read_geography(d)
    assert "W06000015" in str(exc.value) and "rows 5" in str(exc.value) and "ltla21_code" in str(exc.value)


def test_2011_code_in_a_2021_lookup_column(data_dir, tmp_path):
    d = _copy_data(data_dir, tmp_path)
    p = d / "lookups" / "lookup_lsoa21_ward24_ltla24_ew.csv.gz"
    frame = pd.read_csv(p, dtype=str)
    frame.loc[10, "lsoa21_code"] = "E0100000X"
    with gzip.open(p, "wt") as f:
        frame.to_csv(f, index=False)
    with pytest.raises(DataError, match=r"unexpected code 'E0100000X'.*column 'lsoa21_code'; rows 11"):
        geography.read_geography(d)


def test_duplicate_code(data_dir, tmp_path):
    d = _copy_data(data_dir, tmp_path)
    p = d / "boundaries" / "london_wards22.geojson"
    doc = json.loads(p.read_text())
    doc["features"][7]["properties"]["ward22_code"] = doc["features"][3]["properties"]["ward22_code"]
    p.write_text(json.dumps(doc))
    with pytest.raises(DataError, match=r"duplicated code .*rows 8"):
        geography.read_geography(d)


def test_short_file_reports_count(data_dir, tmp_path):
    d = _copy_data(data_dir, tmp_path)
    p = d / "boundaries" / "london_lsoa11.geojson"
    doc = json.loads(p.read_text())
    doc["features"] = doc["features"][:-3]
    p.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="expected 4,835 London areas but found 4,832"):
        geography.read_geography(d)


def test_load_into_database_and_query(session, data_dir):
    counts = geography.load_into(session, data_dir)
    session.commit()
    assert counts["lsoa21"] == 4994
    assert len(geography.boroughs(session)) == 33
    newham = geography.areas_in(session, "lsoa21", "E09000025")
    lookup = pd.read_csv(data_dir / "lookups" / "lookup_lsoa21_ward24_ltla24_ew.csv.gz", dtype=str)
    assert len(newham) == (lookup["ltla24_code"] == "E09000025").sum()
    # loading twice replaces, never duplicates
    geography.load_into(session, data_dir)
    session.commit()
    assert len(geography.areas_in(session, "borough")) == 33
