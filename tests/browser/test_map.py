"""The inclusion map in real Chromium (issue 4): every area drawn, profiles, live re-weighting, the view in
the address, search, the table, briefings as PDF, PNG export, accessibility and keyboard use."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from boroughs.inclusion.map.index import MapIndex
from boroughs.inclusion.map.loading import get_index
from tests.browser.conftest import wait_until
from tests.browser.conftest_map import map_env, map_index_dir, map_server, open_map  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

KNOWN = "E01003480"  # Newham 033A, in Beckton ward


@pytest.fixture(scope="module")
def index(map_index_dir: Path) -> MapIndex:  # noqa: F811
    return get_index(map_index_dir)


@pytest.fixture(scope="module")
def built(map_index_dir: Path) -> pd.DataFrame:  # noqa: F811
    return pd.read_csv(map_index_dir / "lsoa21.csv", dtype={"lsoa21_code": str}).set_index("lsoa21_code")


def _point_inside(data_dir: Path, code: str) -> tuple[float, float]:
    import geopandas as gpd

    gdf = gpd.read_file(data_dir / "boundaries" / "london_lsoa21.geojson")
    geom = gdf.loc[gdf["lsoa21_code"] == code, "geometry"].iloc[0]
    p = geom.representative_point()
    return float(p.x), float(p.y)


def _match(pattern: str, text: str) -> re.Match[str]:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in {text!r}"
    return found


def _quintile_classes(values: np.ndarray) -> np.ndarray:
    """The map's quantile classes (map.js computeBreaks, 5 classes), for choosing a test area."""
    s = np.sort(values[np.isfinite(values)])
    breaks = [s[min(len(s) - 1, int(np.floor(len(s) * i / 5)))] for i in range(1, 5)]
    return np.searchsorted(np.array(breaks), values, side="right")


def test_map_draws_every_area(page: Any, map_server: Any) -> None:  # noqa: F811
    open_map(page, map_server.url + "/map")
    assert page.evaluate("window.boroughsMap.sourceCount()") == 4994
    assert page.evaluate("window.boroughsMap.renderedCount()") == 4994
    assert "4,994 areas" in page.locator("#map-status").inner_text()
    legend = page.locator("#legend-list li")
    assert legend.count() >= 4
    counts = [int(_match(r"\(([\d,]+) areas\)", legend.nth(i).inner_text()).group(1).replace(",", ""))
              for i in range(legend.count())]
    assert sum(counts) == 4994


def test_clicking_an_area_opens_its_profile(page: Any, map_server: Any, data_dir: Path, built: pd.DataFrame,  # noqa: F811
                                            index: MapIndex) -> None:
    x, y = _point_inside(data_dir, KNOWN)
    open_map(page, f"{map_server.url}/map?at={x:.5f},{y:.5f},15")
    box = page.locator("#map canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    heading = page.locator("#profile-heading")
    heading.wait_for(state="visible")
    assert heading.inner_text() == "Newham 033A"
    page.locator("#profile-score").wait_for()
    score = float(built.loc[KNOWN, "score"])
    rank = int(built.loc[KNOWN, "rank"]) if "rank" in built else int((built["score"] > score).sum()) + 1
    shown = float(_match(r"[\d.]+", page.locator("#profile-score").inner_text()).group(0))
    assert shown == pytest.approx(score, abs=0.051 if score >= 10 else 0.0051)
    assert page.locator("#profile-rank").inner_text().startswith(f"{rank:,} of 4,994")
    body = page.locator("#profile-body").inner_text()
    assert "Beckton" in body and "Newham" in body
    for t in index.need_types:
        assert t.name in body
    if index.columns.get("estimate"):
        est = float(built.loc[KNOWN, index.columns["estimate"]])
        assert f"{round(est):,}" in page.locator("#profile-residents").inner_text()
    assert page.locator("#profile-link").get_attribute("href").startswith(f"/map/areas/{KNOWN}")
    assert KNOWN in page.url


def test_a_slider_changes_an_areas_colour_and_rank(page: Any, map_server: Any, index: MapIndex) -> None:  # noqa: F811
    first = index.need_types[0]
    weights = {**index.default_weights, first.id: 0.0}
    (before, rank_before), (after, rank_after) = index.evaluate(), index.evaluate(weights)
    moved = (_quintile_classes(before) != _quintile_classes(after)) & (rank_before != rank_after)
    row = int(np.flatnonzero(moved)[0])
    code = str(index.frame.at[row, "code"])

    open_map(page, f"{map_server.url}/map?area={code}")
    page.locator("#profile-rank").wait_for()
    colour = page.evaluate(f"window.boroughsMap.colourOf('{code}')")
    assert page.evaluate(f"window.boroughsMap.rankOf('{code}')") == int(rank_before[row])
    slider = page.locator(f"#weight-{first.id}")
    slider.focus()
    page.keyboard.press("Home")  # weight 0
    wait_until(page, f"window.boroughsMap.rankOf('{code}') === {int(rank_after[row])}")
    assert page.evaluate(f"window.boroughsMap.colourOf('{code}')") != colour
    assert page.evaluate(f"window.boroughsMap.scoreOf('{code}')") == pytest.approx(float(after[row]), abs=1e-3)
    assert page.locator("#profile-rank").inner_text().startswith(f"{int(rank_after[row]):,} of")
    assert f"w={first.id}:0" in page.url
    page.locator("#reset-weights").click()
    wait_until(page, f"window.boroughsMap.rankOf('{code}') === {int(rank_before[row])}")
    assert "w=" not in page.url


def test_the_address_restores_the_view(page: Any, map_server: Any, index: MapIndex) -> None:  # noqa: F811
    open_map(page, map_server.url + "/map")
    page.select_option("#layer", "need:" + index.need_types[1].id)
    page.select_option("#classification", "jenks")
    page.select_option("#borough", "E09000012")
    slider = page.locator(f"#weight-{index.need_types[0].id}")
    slider.focus()
    page.keyboard.press("End")
    page.evaluate(f"window.boroughsMap.select('{KNOWN}', false)")
    wait_until(page, "location.search.includes('area=')")
    shared = page.url
    fresh = page.context.new_page()
    open_map(fresh, shared)
    assert fresh.locator("#layer").input_value() == "need:" + index.need_types[1].id
    assert fresh.locator("#classification").input_value() == "jenks"
    assert fresh.locator("#borough").input_value() == "E09000012"
    assert fresh.locator(f"#weight-{index.need_types[0].id}").input_value() == "3"
    assert fresh.locator("#profile-heading").inner_text() == "Newham 033A"
    assert fresh.evaluate("window.boroughsMap.state.borough") == "E09000012"
    fresh.close()


def test_search_finds_a_ward_and_a_borough(page: Any, map_server: Any) -> None:  # noqa: F811
    open_map(page, map_server.url + "/map")
    page.fill("#search", "Beckton")
    page.keyboard.press("Enter")
    ward = page.get_by_role("button", name="Beckton (ward, Newham)")
    ward.click()
    wait_until(page, "document.getElementById('map-status').textContent.includes('Beckton ward')")
    assert page.evaluate("window.boroughsMap.map.getZoom()") > 12
    page.fill("#search", "Hackney")
    page.locator("#search-button").click()
    page.get_by_role("button", name="Hackney (borough)").click()
    assert page.locator("#borough").input_value() == "E09000012"
    page.fill("#search", KNOWN)
    page.keyboard.press("Enter")
    wait_until(page, "location.search.includes('area=E01003480')")
    assert page.locator("#profile-heading").inner_text() == "Newham 033A"


def test_table_sorts_filters_and_downloads(page: Any, map_server: Any, built: pd.DataFrame) -> None:  # noqa: F811
    page.goto(map_server.url + "/map/table?borough=E09000001")
    assert "6 areas" in page.locator("caption").inner_text()
    page.get_by_role("link", name=re.compile(r"^Area\s*, sort")).click()
    header = page.locator("th", has_text="Area").first
    assert header.get_attribute("aria-sort") == "ascending"
    names = page.locator("#areas-table tbody tr td:nth-child(2) a").all_inner_texts()
    assert names == sorted(names)
    page.get_by_role("link", name=re.compile(r"^Area\s*, sort descending")).click()
    names = page.locator("#areas-table tbody tr td:nth-child(2) a").all_inner_texts()
    assert names == sorted(names, reverse=True)
    with page.expect_download() as info:
        page.locator("#download-csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert [r["name"] for r in rows] == names
    for r in rows:
        assert float(r["score"]) == pytest.approx(float(built.loc[r["code"], "score"]), rel=1e-5)
    with page.expect_download() as info:
        page.locator("#download-geojson").click()
    assert '"FeatureCollection"' in Path(info.value.path()).read_text(encoding="utf-8")


def test_pdf_briefing_has_the_boroughs_name_and_figures(map_server: Any, index: MapIndex) -> None:  # noqa: F811
    from pypdf import PdfReader

    summary = httpx.get(map_server.url + "/api/v1/inclusion/boroughs/E09000025", timeout=30).json()
    r = httpx.get(map_server.url + "/map/boroughs/E09000025/briefing.pdf", timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Digital exclusion in Newham" in text
    assert f"{summary['areas']:,} small areas" in text
    assert str(summary["areas_in_top_decile"]) in text
    assert summary["worst"][0]["name"] in text


def test_png_export(page: Any, map_server: Any) -> None:  # noqa: F811
    open_map(page, map_server.url + "/map?borough=E09000025")
    with page.expect_download() as info:
        page.locator("#export-png").click()
    data = Path(info.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert info.value.suggested_filename == "digital-exclusion-score-E09000025.png"


def test_pages_pass_axe(page: Any, map_server: Any, assert_accessible: Callable[[Any], None]) -> None:  # noqa: F811
    open_map(page, f"{map_server.url}/map?area={KNOWN}")
    page.locator("#profile-rank").wait_for()
    assert_accessible(page)
    for path in ("/map/table", f"/map/areas/{KNOWN}", "/map/boroughs/E09000025",
                 "/map/boroughs/E09000025/briefing", "/map/boroughs", "/map/validation"):
        page.goto(map_server.url + path)
        assert_accessible(page)


def test_validation_page_shows_the_builds_figures(page: Any, map_server: Any, index: MapIndex) -> None:  # noqa: F811
    """The page is reachable from the map, its charts load as images from the build, and its headline
    figure is the build's own."""
    import json

    report = json.loads((Path(index.out_dir) / "validation.json").read_text())
    open_map(page, map_server.url + "/map")
    page.locator("#validation-link").click()
    page.wait_for_url("**/map/validation")
    rho = report["methods"][report["default_method"]]["spearman"]
    assert f"{rho:.2f}" in page.locator("#validation-census").inner_text()
    loaded = page.evaluate("Array.from(document.images).filter(i => i.src.includes('/map/validation/'))"
                           ".map(i => i.complete && i.naturalWidth > 0)")
    assert loaded and all(loaded)


def test_grouping_is_hidden_for_area_types(page: Any, map_server: Any) -> None:  # noqa: F811
    open_map(page, map_server.url + "/map")
    assert page.locator("#classification").is_visible()
    page.select_option("#layer", "area_type")
    wait_until(page, "document.getElementById('classification-group').hidden === true")
    assert page.locator("#classification").is_hidden()
    page.select_option("#layer", "score")
    wait_until(page, "document.getElementById('classification-group').hidden === false")


def test_keyboard_alone_reaches_every_control(page: Any, map_server: Any, index: MapIndex) -> None:  # noqa: F811
    open_map(page, map_server.url + "/map")
    wanted = {"search", "search-button", "layer", "classification", "borough", "reset-weights", "export-png",
              "table-link", "briefing-link"} | {f"weight-{t.id}" for t in index.need_types}
    reached: set[str] = set()
    canvas = False
    for _ in range(80):
        page.keyboard.press("Tab")
        info = page.evaluate("(() => { const a = document.activeElement; return [a.id, a.className, a.tagName]; })()")
        reached.add(info[0])
        canvas = canvas or "maplibregl-canvas" in str(info[1])
    assert wanted <= reached, f"not reached by Tab: {sorted(wanted - reached)}"
    assert canvas, "the map itself is not reachable by keyboard"
    # keyboard only: find an area and open its profile, then close it
    page.locator("#search").focus()
    page.keyboard.type("Newham 033A")
    page.keyboard.press("Enter")
    wait_until(page, "location.search.includes('area=E01003480')")
    page.keyboard.press("Tab")
    page.locator("#profile-close").focus()
    page.keyboard.press("Enter")
    assert page.locator("#profile").is_hidden()
