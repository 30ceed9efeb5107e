"""Reach and gaps (issue 13): distances checked against geodesic distance, counts against a brute-force
count, the opening-hours filter, the ``boroughs inclusion gaps`` contract file, the API and the pages, and
the map's search finding a postcode with the ONSPD extract in the data directory and no setting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod, Transformer
from typer.testing import CliRunner

from boroughs.inclusion.map.loading import get_index
from boroughs.inclusion.map.schema import ROLES
from boroughs.inclusion.provision import gaps, importer, reach
from tests.browser.conftest_map import map_env, map_index_dir  # noqa: F401  (fixtures)
from tests.web_client import csrf_token

EXAMPLES = Path(__file__).resolve().parents[3] / "boroughs" / "inclusion" / "provision" / "data"


@pytest.fixture(scope="module")
def sites() -> pd.DataFrame:
    parsed = [importer.read_file(EXAMPLES / f"example_{b}.csv") for b in ("newham", "hackney")]
    assert not any(p.faults for p in parsed)
    return reach.sites_from_parsed([s for p in parsed for s in p.sites])


@pytest.fixture(scope="module")
def codes(map_index_dir: Path) -> list[str]:  # noqa: F811
    return list(get_index(map_index_dir).frame["code"])


def _centroids_wgs84(codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    pts = reach.centroids().reindex(codes).geometry
    lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(pts.x.to_numpy(), pts.y.to_numpy())
    return np.asarray(lon), np.asarray(lat)


def test_straight_line_distance_agrees_with_geodesic_distance(codes: list[str], sites: pd.DataFrame) -> None:
    r = reach.compute(codes, sites)
    lon, lat = _centroids_wgs84(codes)
    geod = Geod(ellps="WGS84")
    # brute force: the geodesic distance to every site, the smallest of them
    d = np.stack([geod.inv(lon, lat, np.full(len(codes), s.longitude), np.full(len(codes), s.latitude))[2]
                  for s in sites.itertuples()], axis=1)
    nearest = d.min(axis=1)
    # British National Grid's scale error in London is under 0.1%
    assert np.allclose(r["nearest_m"].to_numpy(), nearest, rtol=2e-3, atol=1)
    assert (r["nearest_id"].to_numpy() == sites["id"].to_numpy()[d.argmin(axis=1)]).mean() > 0.999
    params = reach.WalkParams()
    assert np.array_equal((d <= params.straight_line_m * 1.002).sum(axis=1) >= r["within_walk"].to_numpy(),
                          np.ones(len(codes), dtype=bool))
    assert np.array_equal((d <= params.straight_line_m * 0.998).sum(axis=1) <= r["within_walk"].to_numpy(),
                          np.ones(len(codes), dtype=bool))
    lib = sites[sites["kind"] == "library"].index.to_numpy()
    assert np.allclose(r["nearest_m_library"].to_numpy(), d[:, lib].min(axis=1), rtol=2e-3, atol=1)
    # 15 minutes at 4.8 km/h with a 1.3 detour factor: 1,200 m of street, about 923 m in a straight line
    assert params.straight_line_m == pytest.approx(15 * 80 / 1.3)
    assert np.allclose(r["walk_minutes"], r["nearest_m"] * 1.3 / 80)


def test_the_opening_hours_filter_keeps_only_sites_open_then(codes: list[str], sites: pd.DataFrame) -> None:
    evenings = reach.compute(codes, sites, when="evenings")
    anytime = reach.compute(codes, sites)
    open_late = set(sites.loc[sites["open_evenings"].fillna(False).astype(bool), "id"])
    assert 0 < len(open_late) < len(sites)
    assert set(evenings["nearest_id"]) <= open_late
    assert (evenings["nearest_m"] >= anytime["nearest_m"] - 1e-6).all()
    assert (evenings["within_walk"] <= anytime["within_walk"]).all()


def test_gaps_command_writes_the_contract_file(map_index_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    from boroughs.app import cli as app

    out = tmp_path / "gaps"
    res = CliRunner().invoke(app, ["inclusion", "gaps", "--services", str(EXAMPLES / "example_newham.csv"),
                                   "--out", str(out), "--index", str(map_index_dir)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "gaps.csv", dtype={"lsoa21_code": str})
    assert list(table.columns) == gaps.CONTRACT and len(table) == 4994 and table["lsoa21_code"].is_unique
    built = pd.read_csv(map_index_dir / "lsoa21.csv", dtype={"lsoa21_code": str}).set_index("lsoa21_code")
    est = next(c for c in ROLES["estimate"] if c in built.columns)
    joined = table.set_index("lsoa21_code").join(built[["score", est]], rsuffix="_built")
    assert np.allclose(joined["score"], joined["score_built"], atol=1e-3)
    assert np.allclose(joined["residents_offline"], joined[est], atol=0.06)
    assert table["gap_rank"].iloc[0] == 1 and table["gap_score"].is_monotonic_decreasing
    # within walking distance of a Newham site means a Newham area or a near neighbour
    near = table[table["within_walk"] > 0]
    assert len(near) > 50 and (near["nearest_km"] <= reach.WalkParams().straight_line_m / 1000 + 1e-3).all()
    assert str(sum(table["within_walk"] == 0)) in res.output.replace(",", "")


def test_gaps_command_names_bad_rows_and_writes_nothing(map_index_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    from boroughs.app import cli as app

    bad = tmp_path / "bad.csv"
    bad.write_text("name,kind,latitude,longitude\nA,library,51.5,0.0\nB,library,51.5,east\n")
    out = tmp_path / "gaps"
    res = CliRunner().invoke(app, ["inclusion", "gaps", "--services", str(bad), "--out", str(out),
                                   "--index", str(map_index_dir)])
    assert res.exit_code == 1 and "row 3, longitude" in res.output
    assert not (out / "gaps.csv").exists()


# ---- the web -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(map_env: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:  # noqa: F811
    from boroughs.app import create_app
    from boroughs.core.db import make_engine, session_scope
    from boroughs.core.demo import seed_core
    from boroughs.core.migrate import upgrade
    from boroughs.inclusion.provision.demo import seed_examples

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('gapapi') / 'app.db'}")
    upgrade(engine)
    with session_scope(engine) as db:
        seed_core(db)
        assert seed_examples(db) == 26
    with TestClient(create_app(engine)) as c:
        yield c
    engine.dispose()


def test_provision_api_labels_the_examples(client: TestClient) -> None:
    doc = client.get("/api/v1/inclusion/provision").json()
    assert len(doc["features"]) == 26
    assert all(f["properties"]["example"] and f["properties"]["name"].startswith("Example") for f in doc["features"])
    newham = client.get("/api/v1/inclusion/provision?borough=E09000025&kind=library").json()["features"]
    assert newham and {f["properties"]["council"] for f in newham} == {"London Borough of Newham"}
    assert client.get("/api/v1/inclusion/provision?kind=shop").status_code == 404
    kinds = client.get("/api/v1/inclusion/provision/kinds").json()
    assert sum(k["count"] for k in kinds["items"]) == 26 and kinds["examples"] == 26


def test_gap_api_pages_and_downloads_agree(client: TestClient) -> None:
    doc = client.get("/api/v1/inclusion/gaps?borough=E09000025&limit=5000").json()
    items = doc["items"]
    assert doc["count"] == len(items) == doc["summary"]["areas"]
    assert [r["borough_rank"] for r in items] == sorted(r["borough_rank"] for r in items)
    beyond = sum(r["residents_offline"] or 0 for r in items if r["within_walk"] == 0)
    assert doc["summary"]["residents_offline_beyond_walk"] == pytest.approx(beyond)
    values = client.get("/api/v1/inclusion/gaps/values").json()["values"]
    codes = client.get("/api/v1/inclusion/map-data").json()["codes"]
    top = items[0]
    assert values[codes.index(top["code"])] == pytest.approx(top["gap_score"], rel=1e-3)
    area = client.get(f"/api/v1/inclusion/gaps/areas/{top['code']}").json()
    assert area["borough_rank"] == 1 and area["nearest_km"] == pytest.approx(top["nearest_km"])
    assert "minutes' walk" in area["sentence"] and "adults likely offline here" in area["sentence"]
    csv = client.get("/api/v1/inclusion/gaps.csv?borough=E09000025")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    rows = pd.read_csv(pd.io.common.StringIO(csv.text), dtype={"code": str})
    assert list(rows["code"]) == [r["code"] for r in items]
    page = client.get("/map/gaps?borough=E09000025")
    assert page.status_code == 200 and top["name"] in page.text and "not real places" in page.text
    briefing = client.get("/map/boroughs/E09000025/briefing").text
    assert "Need against digital support" in briefing and top["name"] in briefing
    profile = client.get(f"/map/areas/{top['code']}").text
    assert "Digital support nearby" in profile and "minutes&#39; walk" in profile
    assert "Gaps in digital support" in client.get("/map/table?borough=E09000025").text
    assert client.get("/api/v1/inclusion/gaps?when=sometimes").status_code == 422


def test_csv_download_neutralises_formulae() -> None:
    from boroughs.core.csv_safety import safe_frame as safe_csv  # the shared neutraliser the download uses

    frame = pd.DataFrame({"name": ["=HYPERLINK(1)", "+1", "-x", "@SUM", "\tx", "ok"], "n": [1, 2, 3, 4, 5, 6]})
    out = safe_csv(frame)
    assert list(out["name"]) == ["'=HYPERLINK(1)", "'+1", "'-x", "'@SUM", "'\tx", "ok"]
    assert list(out["n"]) == [1, 2, 3, 4, 5, 6]


def test_postcode_search_works_with_the_onspd_extract_and_no_setting(
        map_index_dir: Path, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from boroughs.config import reset_settings
    from boroughs.core.postcodes import ONSPD, prepare_onspd
    from boroughs.inclusion.map.search import search
    from tests.inclusion.conftest import mirror_data
    from tests.inclusion.provision.test_provision import ONSPD_FIXTURE, onspd_zip

    mirror = mirror_data(data_dir, tmp_path / "data")
    monkeypatch.setenv("BOROUGHS_DATA_DIR", str(mirror))
    monkeypatch.delenv("BOROUGHS_POSTCODE_LOOKUP", raising=False)
    reset_settings()
    index = get_index(map_index_dir)
    assert [r for r in search(index, "E16 1AA") if r["kind"] == "postcode"] == []  # no extract yet
    prepare_onspd(onspd_zip(tmp_path), ONSPD.full_path(mirror))
    expected = pd.read_csv(ONSPD_FIXTURE, dtype=str).set_index("pcds").at["E16 1AA", "lsoa21"]
    hits = [r for r in search(index, "e16 1aa") if r["kind"] == "postcode"]
    assert [h["code"] for h in hits] == [expected]


def test_a_council_analyst_imports_sites_on_the_web_whole_or_not_at_all(client: TestClient) -> None:
    from boroughs.core.auth import DEMO_PASSWORD

    assert client.get("/map/provision", follow_redirects=False).status_code == 303  # sign in first
    r = client.post("/sign-in", data={"email": "officer@hackney.demo.boroughs.test", "password": DEMO_PASSWORD,
                                      "csrf_token": csrf_token(client, "/sign-in"), "next": "/"}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/map/provision").status_code == 403  # officers do not manage sites
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    r = client.post("/sign-in", data={"email": "analyst@newham.demo.boroughs.test", "password": DEMO_PASSWORD,
                                      "csrf_token": csrf_token(client, "/sign-in"), "next": "/"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/map/provision")
    assert page.status_code == 200 and "example_newham.csv" in page.text and "Hackney" not in page.text
    import re

    newham = re.search(r'<option value="(\d+)"[^>]*>London Borough of Newham', page.text)
    assert newham
    before = len(client.get("/api/v1/inclusion/provision").json()["features"])
    bad = b"name,kind,latitude,longitude\nA,library,51.52,0.02\nB,pub,51.52,0.02\n"
    r = client.post("/map/provision", data={"csrf_token": csrf_token(client, "/map/provision"), "council": newham.group(1)},
                    files={"file": ("sites.csv", bad, "text/csv")})
    assert r.status_code == 422 and "nothing was imported" in r.text and "pub" in r.text
    assert len(client.get("/api/v1/inclusion/provision").json()["features"]) == before
    good = b"name,kind,latitude,longitude\nA,library,51.52,0.02\nB,free wifi,51.53,0.03\n"
    r = client.post("/map/provision", data={"csrf_token": csrf_token(client, "/map/provision"), "council": newham.group(1)},
                    files={"file": ("sites.csv", good, "text/csv")}, follow_redirects=True)
    assert r.status_code == 200 and "Imported 2 sites for London Borough of Newham" in r.text
    feats = client.get("/api/v1/inclusion/provision?borough=E09000025").json()["features"]
    assert {"A", "B"} <= {f["properties"]["name"] for f in feats} and len(feats) == 15
    # the analyst may not remove (managers and administrators may)
    r = client.post("/map/provision/clear", data={"csrf_token": csrf_token(client, "/map/provision"),
                                                   "council": newham.group(1), "source": "sites.csv"})
    assert r.status_code == 403
    assert len(client.get("/api/v1/inclusion/provision?borough=E09000025").json()["features"]) == 15


def test_serving_preloads_the_map_before_the_first_request(map_env: Path, tmp_path: Path,  # noqa: F811
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from boroughs.app import create_app, serving_app
    from boroughs.config import reset_settings
    from boroughs.core.db import make_engine
    from boroughs.core.migrate import upgrade
    from boroughs.inclusion.map.loading import clear_cache

    engine = make_engine(f"sqlite:///{tmp_path / 'preload.db'}")
    upgrade(engine)
    clear_cache()
    reach.forget()
    with TestClient(create_app(engine)):
        assert "map-data" not in get_index().cache  # tests' apps do not preload
    clear_cache()
    from boroughs.web import static_files

    static_files._CACHE.clear()
    with TestClient(create_app(engine, preload=True)):
        cache = get_index().cache
        assert {"map-data", "topo:lsoa21", "topo:borough", "topo:ward"} <= set(cache)
        assert any(k[0] == "gaps" for k in reach._cache)
        # the scripts and styles the map page links to are gzipped before the first visit
        zipped = {Path(k[0]).name for k in static_files._CACHE}
        assert {"maplibre-gl.js", "map.js", "govuk-frontend.min.css"} <= zipped, zipped
    monkeypatch.setenv("BOROUGHS_MAP_PRELOAD", "false")
    reset_settings()
    assert serving_app().router.lifespan_context.__name__ != "_preloading"
    engine.dispose()
