"""The LSOA vector tiles' file (issue 13): an MBTiles file made once per index, loaded at start-up.

What each tile holds (every area under its own id, checked against the published boundaries) is tested
through the API in ``tests/inclusion/web/test_api_map.py``; here, the file itself."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import mapbox_vector_tile

from boroughs.inclusion.map import tiles
from boroughs.inclusion.map.index import MapIndex
from boroughs.inclusion.map.loading import get_index
from tests.browser.conftest_map import map_env, map_index_dir  # noqa: F401  (fixtures)


def test_the_tile_file_holds_every_tile_with_an_area_and_loads_back(map_index_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    index: MapIndex = get_index(map_index_dir)
    target = tmp_path / "lsoa.mbtiles"
    count = tiles.write_pyramid(index, target)
    with sqlite3.connect(target) as db:
        meta = dict(db.execute("SELECT name, value FROM metadata"))
        rows = {(z, x, (2 ** z - 1) - row): data
                for z, x, row, data in db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")}
    assert meta["format"] == "pbf" and meta["maxzoom"] == str(tiles.MAX_ZOOM)
    assert [layer["id"] for layer in json.loads(meta["json"])["vector_layers"]] == ["lsoa"]
    west, south, east, north = (float(v) for v in meta["bounds"].split(","))
    assert -0.6 < west < -0.4 and 0.2 < east < 0.4 and 51.2 < south < 51.35 and 51.6 < north < 51.75  # London
    assert count == len(rows) and {z for z, _, _ in rows} == set(range(tiles.MAX_ZOOM + 1))
    # rows count from the south (TMS), as the format asks: London's zoom-9 tiles are rows 341 and 342
    assert {y for z, _, y in rows if z == 9} == {169, 170}
    for key in [(0, 0, 0), (9, 255, 170), (12, 2046, 1361)]:
        assert gzip.decompress(rows[key]) == tiles.make_tile(index, *key)
    assert mapbox_vector_tile.decode(gzip.decompress(rows[(0, 0, 0)]))["lsoa"]["features"]

    # loading the index's own file puts every tile in memory; tiles the file lacks are empty
    index.cache.pop("_tiles", None)
    pyramid = tiles.pyramid_path(index)
    pyramid.parent.mkdir(parents=True, exist_ok=True)
    target.replace(pyramid)
    assert tiles.load_pyramid(index) == count
    held, entry = tiles.cached_tile(index, 9, 255, 170)
    assert held and entry is not None and entry[0] == gzip.decompress(rows[(9, 255, 170)])
    x0, y0, x1, y1 = tiles.tile_range(index, 12)
    empty = [(12, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1) if (12, x, y) not in rows]
    assert empty and all(tiles.cached_tile(index, *key) == (True, None) for key in empty[:5])
    assert tiles.cached_tile(index, 5, 0, 0) == (False, None)  # outside the range: not held, made on demand


def test_processes_starting_together_make_the_tile_file_once(map_index_dir: Path, tmp_path: Path,  # noqa: F811
                                                            monkeypatch) -> None:
    import shutil
    import threading

    from boroughs.inclusion.map.loading import load_index

    out = tmp_path / "out"
    shutil.copytree(map_index_dir, out, ignore=shutil.ignore_patterns("*.mbtiles", "*.lock"))
    made: list[int] = []
    real = tiles.write_pyramid

    def counting(index: MapIndex, target: Path) -> int:
        made.append(1)
        return real(index, target)

    monkeypatch.setattr(tiles, "write_pyramid", counting)
    indexes = [load_index(out) for _ in range(3)]  # as three server processes would each load the index
    counts: list[int] = []
    workers = [threading.Thread(target=lambda i=i: counts.append(tiles.load_pyramid(i))) for i in indexes]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert made == [1] and len(set(counts)) == 1 and counts[0] > 100
