"""``boroughs data check`` and ``boroughs data fetch``: from a local mirror, and from the publishers' HTTP
addresses with recorded responses in the publishers' own formats (never the internet)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

from boroughs.app import cli as app
from boroughs.core import datasets, geography

runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")


def test_check_passes_on_the_real_data(data_dir):
    r = runner.invoke(app, ["data", "check", "--data-dir", str(data_dir)])
    assert r.exit_code == 0, r.output
    assert "boundaries.lsoa21" in r.output and "Open Government Licence v3.0" in r.output


def test_an_optional_dataset_is_reported_but_not_required(data_dir, tmp_path):
    """The postcode directory turns on postcode search; without it, data check says so and still passes."""
    from boroughs.core.postcodes import ONSPD

    d = tmp_path / "data"
    d.mkdir()
    for sub in data_dir.iterdir():
        if sub.name == "lookups":
            shutil.copytree(sub, d / "lookups")
        else:
            (d / sub.name).symlink_to(sub)
    (d / ONSPD.path).unlink(missing_ok=True)
    r = runner.invoke(app, ["data", "check", "--data-dir", str(d)])
    assert r.exit_code == 0, r.output
    assert "not present (optional: postcode search" in r.output and "lookups.onspd" in r.output
    (d / ONSPD.path).write_bytes(b"not gzip")
    assert runner.invoke(app, ["data", "check", "--data-dir", str(d)]).exit_code == 1  # present but broken fails


def test_check_reports_missing_and_broken_files(data_dir, tmp_path):
    d = tmp_path / "data"
    shutil.copytree(data_dir / "boundaries", d / "boundaries")
    shutil.copytree(data_dir / "lookups", d / "lookups")
    (d / "boundaries" / "london_wards22.geojson").unlink()
    p = d / "lookups" / "lookup_lsoa21_ward24_ltla24_ew.csv.gz"
    p.write_bytes(p.read_bytes()[:1000])
    r = runner.invoke(app, ["data", "check", "--data-dir", str(d)])
    assert r.exit_code == 1
    assert "MISSING" in r.output and "truncated or corrupted" in r.output
    assert "boroughs data fetch" in r.output


def test_check_on_a_missing_directory(tmp_path):
    r = runner.invoke(app, ["data", "check", "--data-dir", str(tmp_path / "nope")])
    assert r.exit_code == 1 and "does not exist" in r.output


def test_check_on_a_missing_directory_with_a_long_path(tmp_path, monkeypatch):
    # Issue 17: the message wrapped at 80 columns ("…/nope does\nnot exist") when pytest's temporary path
    # was long, so the test above passed or failed by machine. A path far past any terminal width:
    # (TERM=dumb, as on some CI runners, makes rich ignore COLUMNS and wrap at 80.)
    monkeypatch.setenv("TERM", "dumb")
    missing = tmp_path.joinpath(*["a-long-folder-name"] * 12) / "nope"
    r = runner.invoke(app, ["data", "check", "--data-dir", str(missing)])
    assert r.exit_code == 1 and f"{missing} does not exist" in r.output


def test_fetch_from_a_local_mirror(data_dir, tmp_path):
    keys = [geography.BOROUGHS.key, geography.LOOKUP_11_21.key]
    r = runner.invoke(app, ["data", "fetch", "--from", str(data_dir), "--data-dir", str(tmp_path),
                            "--only", keys[0], "--only", keys[1]])
    assert r.exit_code == 0, r.output
    for key in keys:
        ds = datasets.get(key)
        assert ds.full_path(tmp_path).read_bytes() == ds.full_path(data_dir).read_bytes()
        assert (ds.full_path(tmp_path).parent / "PROVENANCE.md").exists()


def test_fetch_unknown_key(tmp_path):
    r = runner.invoke(app, ["data", "fetch", "--data-dir", str(tmp_path), "--only", "no.such"])
    assert r.exit_code == 1 and "unknown dataset" in r.output


def _ons_responses(data_dir: Path) -> dict[str, bytes]:
    """Responses in the publishers' formats: ONS column names, national coverage (a non-London area
    included), built from the real London rows."""
    lad = json.loads((data_dir / "boundaries" / "london_boroughs_ltla21.geojson").read_text())
    feats = [{"type": "Feature", "geometry": f["geometry"],
              "properties": {"OBJECTID": i, "LAD21CD": f["properties"]["ltla21_code"],
                             "LAD21NM": f["properties"]["ltla21_name"], "LAD21NMW": " "}}
             for i, f in enumerate(lad["features"])]
    feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.21, 54.69]},
                  "properties": {"OBJECTID": 99, "LAD21CD": "E06000001", "LAD21NM": "Hartlepool", "LAD21NMW": " "}})
    look = pd.read_csv(data_dir / "lookups" / "lookup_lsoa11_lsoa21_ltla22_ew.csv.gz", dtype=str)
    ons = look.rename(columns={"lsoa11_name": "LSOA11NM", "lsoa11_code": "LSOA11CD", "change_code": "CHGIND",
                               "lsoa21_name": "LSOA21NM", "lsoa21_code": "LSOA21CD", "ltla22_name": "LAD22NM",
                               "ltla22_code": "LAD22CD"})
    ons["ObjectId"] = range(1, len(ons) + 1)
    return {
        geography.BOROUGHS.download or "": json.dumps({"type": "FeatureCollection", "features": feats}).encode(),
        geography.LOOKUP_11_21.download or "": ons.to_csv(index=False).encode(),
    }


def test_fetch_downloads_and_prepares_the_london_extract(data_dir, tmp_path):
    responses = _ons_responses(data_dir)
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        body = responses.get(str(request.url))
        return httpx.Response(200, content=body) if body is not None else httpx.Response(404)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    for ds in (geography.BOROUGHS, geography.LOOKUP_11_21):
        datasets.fetch(ds, tmp_path, client)
    assert set(calls) == set(responses)
    boroughs = geography.read_layer("borough", tmp_path)  # checks columns, codes and the count of 33
    assert "E06000001" not in set(boroughs["ltla21_code"])
    got = pd.read_csv(tmp_path / geography.LOOKUP_11_21.path, dtype=str)
    want = pd.read_csv(data_dir / geography.LOOKUP_11_21.path, dtype=str)
    pd.testing.assert_frame_equal(got, want)


def test_a_failed_download_leaves_nothing_behind(tmp_path):
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    with pytest.raises(datasets.FetchFailed, match="(?s)could not download .* use --from"):
        datasets.fetch(geography.BOROUGHS, tmp_path, client)
    assert list(tmp_path.rglob("*.*")) == []


def test_a_dataset_without_a_direct_download_says_where_to_get_it(tmp_path):
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    with pytest.raises(datasets.FetchFailed, match="no direct download: get it from https://geoportal"):
        datasets.fetch(geography.WARDS, tmp_path, client)


def test_gzip_helper_roundtrip(tmp_path):
    # read_csv reads gzipped files the publishers ship
    p = tmp_path / "x.csv.gz"
    with gzip.open(p, "wt") as f:
        f.write("a,b\n1,2\n")
    ds = datasets.Dataset("t.x", "x.csv.gz", "t", "p", "l", "u", columns=("a", "b"), expected_rows=1)
    assert datasets.read_csv(ds, tmp_path)["b"].tolist() == [2]
