"""Provision beside need on the map in real Chromium (issue 13): the provision and gap layers render, the
kind filter and the details work, the profile shows the gap, the phone layout, and axe-core on every map
page at 1280 px and 390 px."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from boroughs.core.db import session_scope
from tests.browser.conftest import wait_until
from tests.browser.conftest_map import map_env, map_index_dir, map_server, open_map  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

AREA = "E01003515"  # Newham 036D (Custom House)
PAGES = ("/map/table", "/map/gaps", "/map/gaps?borough=E09000025", f"/map/areas/{AREA}", "/map/boroughs",
         "/map/boroughs/E09000025", "/map/boroughs/E09000025/briefing")


@pytest.fixture(scope="module")
def server(map_server: Any) -> Any:  # noqa: F811
    """The live server with the demo's example provision for Newham and Hackney."""
    from boroughs.inclusion.provision.demo import seed_examples

    with session_scope(map_server.engine) as db:
        assert seed_examples(db) == 26
    return map_server


def _open(page: Any, url: str) -> None:
    open_map(page, url)
    wait_until(page, "document.body.dataset.provisionReady === '1'")


def _rendered(page: Any, layers: list[str]) -> int:
    return int(page.evaluate(f"window.boroughsMap.map.queryRenderedFeatures({{layers: {layers!r}}}).length"))


def test_provision_points_render_cluster_and_filter_by_kind(page: Any, server: Any) -> None:
    sites = httpx.get(server.url + "/api/v1/inclusion/provision", timeout=30).json()["features"]
    _open(page, server.url + "/map?borough=E09000025")
    wait_until(page, "window.boroughsMap.map.loaded()")
    assert page.locator("#provision-status").inner_text().startswith(f"{len(sites)} digital support sites shown")
    assert "examples, not real places" in page.locator("#provision-status").inner_text()
    assert _rendered(page, ["provision-points", "provision-clusters"]) > 0
    libraries = sum(1 for f in sites if f["properties"]["kind"] == "library")
    page.locator("#provision-kind-library").uncheck()
    wait_until(page, f"document.body.dataset.provisionShown === '{len(sites) - libraries}'")
    page.locator("#provision-show").uncheck()
    wait_until(page, "document.body.dataset.provisionShown === '0'")
    wait_until(page, "window.boroughsMap.map.loaded()")
    assert _rendered(page, ["provision-points", "provision-clusters"]) == 0


def test_a_sites_details_open_on_select_and_say_it_is_an_example(page: Any, server: Any) -> None:
    site = httpx.get(server.url + "/api/v1/inclusion/provision?kind=library&borough=E09000025", timeout=30).json()["features"][0]
    lon, lat = site["geometry"]["coordinates"]
    _open(page, f"{server.url}/map?at={lon},{lat},15.5")
    wait_until(page, "window.boroughsMap.map.loaded()")
    wait_until(page, "window.boroughsMap.map.queryRenderedFeatures({layers: ['provision-points']}).length > 0")
    xy = page.evaluate(f"(() => {{ const p = window.boroughsMap.map.project([{lon}, {lat}]); return [p.x, p.y]; }})()")
    box = page.locator("#map canvas").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    popup = page.locator(".maplibregl-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert site["properties"]["name"] in text and "example" in text and site["properties"]["opening_hours"] in text


def test_the_gap_layer_colours_areas_by_the_gap(page: Any, server: Any) -> None:
    values = httpx.get(server.url + "/api/v1/inclusion/gaps/values", timeout=60).json()["values"]
    _open(page, server.url + "/map")
    page.locator("#layer").select_option("gap")
    wait_until(page, "document.getElementById('map-status').textContent.startsWith('Showing Gap')")
    assert page.locator("#legend-title").inner_text() == "Gap: need against digital support"
    codes = page.evaluate("window.boroughsMap.data.codes")
    order = sorted(range(len(values)), key=lambda i: values[i])
    low, high = codes[order[0]], codes[order[-1]]
    colours = page.evaluate(f"[window.boroughsMap.colourOf('{low}'), window.boroughsMap.colourOf('{high}')]")
    assert colours[0] != colours[1]
    assert "layer=gap" in page.url
    wait_until(page, "window.boroughsMap.map.loaded()")
    assert page.evaluate("window.boroughsMap.renderedCount()") > 1000
    # evenings only: fewer sites count, so the gap layer is fetched again with the filter
    with page.expect_response(lambda r: "/gaps/values?when=evenings" in r.url):
        page.locator("#provision-when").select_option("evenings")


def test_the_profile_shows_the_gap(page: Any, server: Any) -> None:
    gap = httpx.get(f"{server.url}/api/v1/inclusion/gaps/areas/{AREA}", timeout=60).json()
    _open(page, f"{server.url}/map?area={AREA}")
    section = page.locator("#profile-gap")
    section.wait_for()
    text = section.inner_text()
    assert gap["sentence"] in text and f"{gap['within_walk']} site" in text
    assert "minutes' walk" in text and "adults likely offline here" in text


def test_phone_width_search_is_full_width_and_the_map_comes_before_the_long_controls(page: Any, server: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    _open(page, server.url + "/map")
    search = page.locator("#search").bounding_box()
    form = page.locator("#search-form").bounding_box()
    assert search["width"] >= form["width"] - 2 and search["width"] > 300
    button = page.locator("#search-button").bounding_box()
    assert button["y"] > search["y"]  # the button sits under the box, not squeezing it
    map_box = page.locator("#map").bounding_box()
    assert map_box["y"] < page.locator("#layer").bounding_box()["y"]
    assert map_box["y"] < page.locator("#weight-" + page.evaluate("window.boroughsMap.data.need_types[0].id")).bounding_box()["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # London fills the map's width (the map was not laid out while squeezed)
    london = page.evaluate("(() => { const m = window.boroughsMap.map, b = JSON.parse(document.getElementById('map-config')"
                           ".textContent).london_bbox; return m.project([b[2], b[1]]).x - m.project([b[0], b[1]]).x; })()")
    assert london > 0.8 * map_box["width"]


@pytest.mark.parametrize("width", [1280, 390])
def test_every_map_page_passes_axe(page: Any, server: Any, assert_accessible: Callable[[Any], None],
                                   sign_in: Callable[..., None], width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    _open(page, f"{server.url}/map?area={AREA}")
    page.locator("#profile-gap").wait_for()
    assert_accessible(page)
    _open(page, f"{server.url}/map?layer=gap&borough=E09000012")
    assert_accessible(page)
    for path in PAGES:
        page.goto(server.url + path)
        assert_accessible(page)
    sign_in(page, "analyst@newham.demo.boroughs.test")
    page.goto(server.url + "/map/provision")
    assert page.locator("#sources").is_visible()
    assert_accessible(page)
    page.locator("#file").set_input_files({"name": "bad.csv", "mimeType": "text/csv",
                                           "buffer": b"name,kind,latitude,longitude\nA,pub,51.52,0.02\n"})
    with page.expect_navigation():
        page.locator("#import-button").click()
    expect(page.locator("#faults")).to_be_visible()
    assert_accessible(page)
    page.context.clear_cookies()
