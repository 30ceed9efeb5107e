"""The inclusion map's API and pages (issue 4): payload sizes, gzip and ETag, profiles, downloads, briefings; and
the fast path never touching a file on the event loop (issue 11's rule): cold or warm, every file open and stat
happens in the thread pool."""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from boroughs.core.db import make_engine
from boroughs.core.migrate import upgrade
from tests.browser.conftest_map import map_env, map_index_dir  # noqa: F401  (fixtures)

API = "/api/v1/inclusion"


@pytest.fixture(scope="module")
def client(map_env: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:  # noqa: F811
    from boroughs.app import create_app

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('mapapi') / 'app.db'}")
    upgrade(engine)
    with TestClient(create_app(engine)) as c:
        yield c
    engine.dispose()


@pytest.fixture(scope="module")
def built(map_index_dir: Path) -> pd.DataFrame:  # noqa: F811
    return pd.read_csv(map_index_dir / "lsoa21.csv", dtype={"lsoa21_code": str}).set_index("lsoa21_code")


def _wire_size(client: TestClient, path: str) -> int:
    with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as r:
        assert r.status_code == 200
        assert r.headers.get("content-encoding") == "gzip"
        return sum(len(chunk) for chunk in r.iter_raw())


def test_first_view_is_under_400_kb_over_the_wire(client: TestClient) -> None:
    # the map data, the borough outlines, and every zoom-9 tile that holds an area (London at 1280 px)
    from boroughs.inclusion.map import tiles
    from boroughs.inclusion.map.loading import get_index

    x0, y0, x1, y1 = tiles.tile_range(get_index(), 9)
    paths = ["/map-data", "/boundaries/borough.topojson"]
    paths += [f"/tiles/lsoa21/9/{x}/{y}.mvt" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    total = sum(_wire_size(client, API + p) for p in paths)
    assert total <= 400 * 1024, f"first view is {total / 1024:.0f} KB"


def _tile_features(client: TestClient, z: int, x: int, y: int) -> list[dict[str, Any]]:
    import mapbox_vector_tile

    r = client.get(f"{API}/tiles/lsoa21/{z}/{x}/{y}.mvt")
    if r.status_code == 204:
        return []
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layers = mapbox_vector_tile.decode(r.content)
    assert list(layers) == ["lsoa"] and layers["lsoa"]["extent"] == 4096
    return list(layers["lsoa"]["features"])


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, float, float]:
    """The XYZ tile holding a point, and the point's place in it (0..1 from the west, 0..1 from the south)."""
    import math

    n = 2 ** z
    fx = (lon + 180) / 360 * n
    fy = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int(fx), int(fy), fx - int(fx), 1 - (fy - int(fy))


def test_vector_tiles_hold_every_area_under_its_own_id(client: TestClient, data_dir: Path) -> None:
    # Checked against the published boundaries themselves (read here with GeoPandas, not through the app):
    # a point inside each sampled area falls inside the tile feature whose id is that area's position in
    # /map-data's codes, at zoom 12 (the tiles' most detailed zoom).
    import geopandas as gpd
    from shapely.geometry import Point, shape

    from boroughs.core import geography

    codes = client.get(API + "/map-data").json()["codes"]
    position = {c: i for i, c in enumerate(codes)}
    source = gpd.read_file(geography.LSOA21.full_path(data_dir)).to_crs(4326)
    sample = source.sample(40, random_state=13)
    for code, geom in zip(sample["lsoa21_code"], sample.geometry, strict=True):
        point = geom.representative_point()
        x, y, u, v = _tile_of(point.x, point.y, 12)
        features = {f["id"]: f for f in _tile_features(client, 12, x, y)}
        assert position[code] in features, code
        assert shape(features[position[code]]["geometry"]).buffer(8).contains(Point(u * 4096, v * 4096)), code
    # and at the first view's zoom, the tiles together hold all 4,994 areas, each once per tile
    from boroughs.inclusion.map import tiles
    from boroughs.inclusion.map.loading import get_index

    x0, y0, x1, y1 = tiles.tile_range(get_index(), 9)
    seen: set[int] = set()
    for tx in range(x0, x1 + 1):
        for ty in range(y0, y1 + 1):
            ids = [f["id"] for f in _tile_features(client, 9, tx, ty)]
            assert len(ids) == len(set(ids))
            seen.update(ids)
    assert seen == set(range(len(codes)))


def test_vector_tiles_outside_london_are_empty_and_tiles_are_cached(client: TestClient) -> None:
    assert client.get(API + "/tiles/lsoa21/9/10/10.mvt").status_code == 204  # the Pacific
    assert client.get(API + "/tiles/lsoa21/13/4093/2723.mvt").status_code == 204  # beyond the tiles' zooms
    assert client.get(API + "/tiles/lsoa21/2/9/0.mvt").status_code == 204  # no such tile
    assert client.get(API + "/tiles/lsoa21/x/1/1.mvt").status_code in (404, 422)
    first = client.get(API + "/tiles/lsoa21/10/511/340.mvt", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    again = client.get(API + "/tiles/lsoa21/10/511/340.mvt", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_boundaries_and_map_data_line_up(client: TestClient) -> None:
    data = client.get(API + "/map-data").json()
    topo = client.get(API + "/boundaries/lsoa21.topojson").json()
    assert data["count"] == 4994 == len(data["codes"]) == len(topo["objects"]["data"]["geometries"])
    assert len(data["values"]["score"]) == 4994
    assert len(data["boroughs"]) == 33 and len(data["wards"]) >= 680
    assert all(0 <= b < 33 for b in data["borough"])


def test_etag_gives_304(client: TestClient) -> None:
    first = client.get(API + "/map-data")
    etag = first.headers["etag"]
    again = client.get(API + "/map-data", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert not again.content
    profile = client.get(API + "/areas/E01003480")
    assert client.get(API + "/areas/E01003480", headers={"If-None-Match": profile.headers["etag"]}).status_code == 304


def test_every_layer_has_values_for_every_area(client: TestClient) -> None:
    layers = client.get(API + "/layers").json()["items"]
    assert {"score", "area_type", "residents", "deri", "online_share"} <= {x["id"] for x in layers}
    for layer in layers:
        values = client.get(f"{API}/layers/{layer['id']}/values").json()["values"]
        assert len(values) == 4994, layer["id"]
        assert sum(v is not None for v in values) > 1000, layer["id"]


def test_profile_has_the_built_figures(client: TestClient, built: pd.DataFrame) -> None:
    p = client.get(API + "/areas/E01003480").json()
    assert p["name"] == "Newham 033A"
    assert p["score"] == pytest.approx(built.loc["E01003480", "score"])
    expected = (int(built.loc["E01003480", "rank"]) if "rank" in built
                else int((built["score"] > built.loc["E01003480", "score"]).sum()) + 1)
    assert p["rank"] == expected
    assert p["weights_are_default"] is True
    weights = ",".join(f"{n['id']}:{3 if i == 0 else 0}" for i, n in enumerate(p["needs"]))
    moved = client.get(API + "/areas/E01003480", params={"w": weights}).json()
    assert moved["weights_are_default"] is False
    assert moved["score"] != pytest.approx(p["score"])


def test_unknown_area_and_layer_are_clear_404s(client: TestClient) -> None:
    r = client.get(API + "/areas/E01999999")
    assert r.status_code == 404 and "E01999999" in r.json()["detail"]
    r = client.get(API + "/layers/nope/values")
    assert r.status_code == 404 and "layers" in r.json()["detail"]
    assert client.get(API + "/boroughs/E09999999").status_code == 404


def test_search_endpoint(client: TestClient) -> None:
    items = client.get(API + "/search", params={"q": "Beckton"}).json()["items"]
    assert any(i["kind"] == "ward" and i["name"] == "Beckton" for i in items)


def test_csv_download_is_the_selection(client: TestClient, built: pd.DataFrame) -> None:
    r = client.get(API + "/areas.csv", params={"borough": "E09000001"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["borough"] for row in rows} == {"City of London"}
    assert len(rows) == 6
    for row in rows:
        assert float(row["score"]) == pytest.approx(built.loc[row["code"], "score"], rel=1e-5)


def test_geojson_download_has_boundaries(client: TestClient) -> None:
    r = client.get(API + "/areas.geojson", params={"borough": "E09000001"})
    doc = json.loads(r.content)
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 6
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in doc["features"])


def test_openapi_documents_the_map_api(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for p in ("/map-data", "/layers", "/layers/{layer_id}/values", "/boundaries/{kind}.topojson", "/areas/{code}",
              "/areas", "/areas.csv", "/areas.geojson", "/boroughs/{code}", "/search", "/indicators"):
        assert API + p in paths, p


def test_pages_render(client: TestClient) -> None:
    for path, text in (("/map", "Digital exclusion in London"), ("/map/table", "Digital exclusion by area"),
                       ("/map/table?borough=E09000025&sort=name&order=desc&page=2", "Newham"),
                       ("/map/areas/E01003480", "Newham 033A"), ("/map/boroughs", "Newham"),
                       ("/map/boroughs/E09000025", "Digital exclusion in Newham"),
                       ("/map/boroughs/E09000025/briefing", "Digital exclusion in Newham")):
        r = client.get(path)
        assert r.status_code == 200, path
        assert text in r.text, path


def test_gzip_body_is_valid(client: TestClient) -> None:
    with client.stream("GET", API + "/boundaries/borough.topojson", headers={"Accept-Encoding": "gzip"}) as r:
        raw = b"".join(r.iter_raw())
    assert json.loads(gzip.decompress(raw))["type"] == "Topology"


def test_map_says_how_to_build_a_missing_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from boroughs.app import create_app
    from boroughs.config import reset_settings

    monkeypatch.setenv("BOROUGHS_OUT_DIR", str(tmp_path / "nothing"))
    reset_settings()
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    upgrade(engine)
    try:
        with TestClient(create_app(engine)) as c:
            r = c.get("/map")
            assert r.status_code == 503
            assert "boroughs inclusion build" in r.text
            assert c.get(API + "/map-data").status_code == 404
    finally:
        monkeypatch.undo()
        reset_settings()
        engine.dispose()


def test_basemap_is_configurable(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from boroughs.config import reset_settings

    monkeypatch.setenv("BOROUGHS_BASEMAP_URL", "https://tile.example.org/{z}/{x}/{y}.png")
    monkeypatch.setenv("BOROUGHS_BASEMAP_ATTRIBUTION", "© Example contributors")
    reset_settings()
    try:
        config = _map_config(client.get("/map").text)
        assert config["basemap_url"] == "https://tile.example.org/{z}/{x}/{y}.png"
        assert config["basemap_attribution"] == "© Example contributors"
    finally:
        monkeypatch.undo()
        reset_settings()
    assert _map_config(client.get("/map").text)["basemap_url"] == ""


def _map_config(page: str) -> dict[str, str]:
    import re

    found = re.search(r'<script type="application/json" id="map-config">(.*?)</script>', page, re.S)
    assert found
    doc: dict[str, str] = json.loads(found.group(1))
    return doc


def test_downloads_and_table_follow_the_weights(client: TestClient) -> None:
    needs = [n["id"] for n in client.get(API + "/indicators").json()["need_types"]]
    w = ",".join(f"{n}:{1 if i == 0 else 0}" for i, n in enumerate(needs))
    plain = {r["code"]: r for r in csv.DictReader(io.StringIO(client.get(API + "/areas.csv").text))}
    moved = {r["code"]: r for r in csv.DictReader(io.StringIO(client.get(API + "/areas.csv", params={"w": w}).text))}
    assert plain.keys() == moved.keys() and len(plain) == 4994
    assert any(plain[c]["rank"] != moved[c]["rank"] for c in plain)
    profile = client.get(API + "/areas/E01003480", params={"w": w}).json()
    assert int(moved["E01003480"]["rank"]) == profile["rank"]
    page = client.get("/map/table", params={"w": w, "q": "Newham 033A"}).text
    assert "your weights" in page and f">{profile['rank']:,}<" in page


def test_briefings_say_how_to_enable_pdfs_without_the_pdf_extra(client: TestClient,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15: without ``boroughs[pdf]`` (Playwright), the briefing offers Print and says what to install."""
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "playwright" else real_find_spec(name, *a))
    page = client.get("/map/boroughs/E09000025/briefing")
    assert page.status_code == 200
    assert 'id="pdf-link"' not in page.text
    assert "pip install &#39;boroughs[pdf]&#39;" in page.text or "pip install 'boroughs[pdf]'" in page.text
    pdf = client.get("/map/boroughs/E09000025/briefing.pdf")
    assert pdf.status_code != 200 and "boroughs[pdf]" in pdf.text
    monkeypatch.setattr(importlib.util, "find_spec", real_find_spec)
    assert 'id="pdf-link"' in client.get("/map/boroughs/E09000025/briefing").text


def test_csv_download_has_every_indicator_and_a_dictionary(client: TestClient, map_index_dir: Path) -> None:  # noqa: F811
    indicators = pd.read_csv(map_index_dir / "indicators_lsoa21.csv", dtype={"lsoa21_code": str})
    res = client.get(API + "/areas.csv", params={"borough": "E09000025"})
    assert res.status_code == 200
    frame = pd.read_csv(io.StringIO(res.text), dtype={"code": str})
    wanted = {f"indicator_{c}" for c in indicators.columns if c != "lsoa21_code"}
    assert wanted <= set(frame.columns)
    row = frame.iloc[0]
    src = indicators.set_index("lsoa21_code").loc[row["code"]]
    col = next(iter(sorted(wanted)))
    assert abs(float(row[col]) - float(src[col.removeprefix("indicator_")])) < 1e-5 * max(1.0, abs(float(src[col.removeprefix("indicator_")])))
    res = client.get(API + "/data-dictionary.csv")
    assert res.status_code == 200
    dictionary = pd.read_csv(io.StringIO(res.text))
    assert set(frame.columns) <= set(dictionary["column"]), set(frame.columns) - set(dictionary["column"])
    assert dictionary.set_index("column").loc[sorted(wanted), "evidence"].notna().all()


def test_validation_page_and_charts(client: TestClient, map_index_dir: Path) -> None:  # noqa: F811
    report = json.loads((map_index_dir / "validation.json").read_text())
    res = client.get("/map/validation")
    assert res.status_code == 200
    main = report["methods"][report["default_method"]]
    assert f"{main['spearman']:.2f}" in res.text
    sv = report["second_validation"]
    assert f"{sv['leave_one_out']['inside_interval']} of {sv['areas']}" in res.text
    for name in ("validation_scatter.svg", "validation_deciles.svg", "validation_ons.svg"):
        chart = client.get(f"/map/validation/{name}")
        assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
        assert f'src="/map/validation/{name}"' in res.text
    assert client.get("/map/validation/manifest.json").status_code == 404


# ---- no file is touched on the event loop

_recording: list[list[str]] = []  # while a test records: what was touched on a thread running an event loop


def _on_loop() -> bool:
    """On a thread running an event loop other than the main thread's: the app's loop under TestClient (the
    main thread may run the browser tests' own loop, which is not the app's)."""
    if threading.current_thread() is threading.main_thread():
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _recording and event == "open" and _on_loop():
        _recording[-1].append(f"open {args[0]}")


sys.addaudithook(_hook)  # audit hooks cannot be removed; it records only while a test asks it to


@pytest.fixture
def touched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []
    real_stat = os.stat

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if _recording and _on_loop():
            seen.append(f"stat {path}")
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    _recording.append(seen)
    yield seen
    _recording.pop()


def test_cold_and_warm_map_requests_touch_no_file_on_the_event_loop(client: TestClient,
                                                                    touched: list[str]) -> None:
    from boroughs.inclusion.map.loading import clear_cache

    clear_cache()  # the first request after this must load the index: in the thread pool
    code = client.get(API + "/map-data").json()["codes"][0]
    for _ in range(2):  # cold, then warm
        for path in ("/map-data", "/boundaries/lsoa21.topojson", "/layers/score/values", f"/areas/{code}",
                     "/tiles/lsoa21/11/1022/681.mvt"):
            assert client.get(API + path).status_code == 200, path
    assert client.get(API + "/boundaries/nowhere.topojson").status_code == 404
    assert touched == []


def test_the_recorder_catches_a_file_read_on_the_event_loop(tmp_path: Path, touched: list[str]) -> None:
    path = tmp_path / "x.txt"
    path.write_text("x")

    async def reads_on_the_loop() -> str:
        path.is_file()
        return path.read_text()

    result: list[str] = []

    def run() -> None:  # on a thread of its own, as the app's loop runs under TestClient
        loop = asyncio.new_event_loop()
        try:
            result.append(loop.run_until_complete(reads_on_the_loop()))
        finally:
            loop.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert result == ["x"]
    assert any(t.startswith("stat ") for t in touched) and any(t.startswith("open ") for t in touched)


def test_table_pages_are_rendered_once_per_filter_and_kept_within_bounds(client: TestClient,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: the table's content (open data, the same for everyone) is rendered once per set of filters;
    the page around it (who is signed in) is not kept; at most ``TABLE_CACHE_SIZE`` are kept."""
    import re

    from boroughs.inclusion.web import pages

    monkeypatch.setattr(pages, "TABLE_CACHE_SIZE", 2)

    def table(**params: str) -> str:
        r = client.get("/map/table", params=params)
        assert r.status_code == 200, r.text[:300]
        found = re.search(r'<table class="govuk-table map-table".*?</table>', r.text, re.S)
        assert found
        return found.group(0)

    first = table(borough="E09000025", sort="score", order="desc")
    calls: list[dict[str, Any]] = []
    real = pages.selection
    monkeypatch.setattr(pages, "selection", lambda *a, **k: calls.append(k) or real(*a, **k))
    assert table(borough="E09000025", sort="score", order="desc") == first and calls == []
    other = table(borough="E09000007", sort="score", order="desc")
    assert other != first and len(calls) == 1
    table(borough="E09000025", sort="name")  # a third set of filters pushes out the oldest (Newham by score)
    assert table(borough="E09000025", sort="score", order="desc") == first and len(calls) == 3
    assert table(borough="E09000007", sort="score", order="desc") == other and len(calls) == 4
