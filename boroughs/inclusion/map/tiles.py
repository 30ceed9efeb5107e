"""Vector tiles of the LSOA boundaries: what the map draws its areas from (issue 13's warm map in 1 s).

Tiles are Mapbox Vector Tiles (MVT 2.1, encoded by ``mapbox-vector-tile``) in Web Mercator, one layer
``lsoa`` whose features carry only an integer id: the area's position in ``/map-data``'s codes (the map
colours them through feature state). Their geometry is the LSOA TopoJSON's (:func:`payloads.topology`:
quantised and simplified as a topology, so neighbours still share their edges), clipped to each tile with a
buffer. Tiles are made for zooms 0 to :data:`MAX_ZOOM` (the map over-zooms beyond it); a tile with no area
in it is empty.

Why tiles: given the boundaries as GeoJSON, the browser cuts them into tiles itself, in its map worker,
before it can draw (on the machine of the benchmark, about half a second of the first view). Served as
tiles, it only decodes them. They are made once per index and kept in an MBTiles file (the SQLite format
for tiles, which QGIS and tile servers read too) under ``OUT/map/``; the server's start-up loads them into
memory (:func:`load_pyramid`; the first of the server's processes makes the file while the others wait), and
a tile not yet made is made when asked for.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from boroughs.inclusion.map import payloads
from boroughs.inclusion.map.index import MapIndex

LAYER = "lsoa"
EXTENT = 4096  # tile units across a tile
BUFFER = 64  # tile units around a tile, so that no seam shows where tiles meet
MAX_ZOOM = 12  # about 1.5 m a tile unit in London; beyond, the map over-zooms this zoom's tiles
VERSION = "1"  # part of the tile file's name: change it when what a tile holds changes
HALF = 20037508.342789244  # half the Web Mercator world, metres

Entry = tuple[bytes, bytes, str]  # (body, gzipped body, ETag): what responses.entry_response answers with


def bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """A tile's (minx, miny, maxx, maxy) in Web Mercator metres (XYZ numbering: y counts down from the north)."""
    size = 2 * HALF / 2**z
    return -HALF + x * size, HALF - (y + 1) * size, -HALF + (x + 1) * size, HALF - y * size


def _geometries(index: MapIndex) -> tuple[Any, np.ndarray, tuple[float, float, float, float]]:
    """(a spatial index, the areas' geometries in Web Mercator in the index's order, their bounds)."""
    found: tuple[Any, np.ndarray, tuple[float, float, float, float]] | None = index.cache.get("_tile_geometries")
    if found is None:
        import geopandas as gpd
        import shapely

        frame = gpd.read_file(io.BytesIO(payloads.topology(index, "lsoa21")))
        geoms = frame.set_crs(4326, allow_override=True).to_crs(3857).geometry.values
        if len(geoms) != len(index.frame):
            raise ValueError(f"the LSOA boundaries have {len(geoms)} areas and the index {len(index.frame)}")
        arr = np.asarray(geoms, dtype=object)
        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(arr))
        found = (shapely.STRtree(arr), arr, (minx, miny, maxx, maxy))
        index.cache["_tile_geometries"] = found
    return found


def make_tile(index: MapIndex, z: int, x: int, y: int) -> bytes:
    """One tile's MVT bytes (not gzipped); ``b""`` when no area is in it."""
    import mapbox_vector_tile
    import shapely

    tree, geoms, _ = _geometries(index)
    b = bounds(z, x, y)
    pad = (b[2] - b[0]) * BUFFER / EXTENT
    box = (b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad)
    found = np.sort(tree.query(shapely.box(*box)))
    if not len(found):
        return b""
    clipped = shapely.clip_by_rect(geoms[found], *box)
    features = [{"geometry": g, "id": int(i), "properties": {}}
                for i, g in zip(found.tolist(), clipped, strict=True) if not g.is_empty]
    if not features:
        return b""
    return bytes(mapbox_vector_tile.encode([{"name": LAYER, "features": features}],
                                           default_options={"quantize_bounds": b, "extents": EXTENT}))


def tile_range(index: MapIndex, z: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the tiles at zoom ``z`` that hold an area (inclusive)."""
    _, _, (minx, miny, maxx, maxy) = _geometries(index)
    size = 2 * HALF / 2**z
    last = 2**z - 1
    clamp = lambda v: max(0, min(last, v))  # noqa: E731
    return (clamp(math.floor((minx + HALF) / size)), clamp(math.floor((HALF - maxy) / size)),
            clamp(math.floor((maxx + HALF) / size)), clamp(math.floor((HALF - miny) / size)))


def _store(index: MapIndex) -> dict[tuple[int, int, int], Entry | None]:
    store: dict[tuple[int, int, int], Entry | None] | None = index.cache.get("_tiles")
    if store is None:
        store = index.cache["_tiles"] = {}
    return store


def _entry(body: bytes, zipped: bytes | None = None) -> Entry | None:
    """A tile as the web layer answers it (the ETag as :func:`responses.etag` makes it); ``None`` when empty."""
    if not body:
        return None
    return body, zipped if zipped is not None else gzip.compress(body, 6), '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


def tile_entry(index: MapIndex, z: int, x: int, y: int) -> Entry | None:
    """A tile as ``(body, gzipped body, ETag)``, or ``None`` when it holds no area (or is out of range);
    made and kept in memory when it was not loaded at start-up."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        return None
    store = _store(index)
    key = (z, x, y)
    if key not in store:
        x0, y0, x1, y1 = tile_range(index, z)
        store[key] = _entry(make_tile(index, z, x, y)) if x0 <= x <= x1 and y0 <= y <= y1 else None
    return store[key]


def cached_tile(index: MapIndex, z: int, x: int, y: int) -> tuple[bool, Entry | None]:
    """(whether the tile is in memory, the tile): for answering on the event loop with no other work."""
    store = index.cache.get("_tiles")
    if store is None or (z, x, y) not in store:
        return False, None
    return True, store[(z, x, y)]


def pyramid_path(index: MapIndex) -> Path:
    digest = hashlib.sha256(payloads.topology(index, "lsoa21") + VERSION.encode()).hexdigest()[:16]
    return index.out_dir / "map" / f"lsoa21-{digest}.mbtiles"


def write_pyramid(index: MapIndex, target: Path) -> int:
    """Every tile from zoom 0 to :data:`MAX_ZOOM` that holds an area, into an MBTiles file (gzipped MVT,
    rows numbered from the south as the format asks); returns how many tiles it holds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    _, _, (minx, miny, maxx, maxy) = _geometries(index)
    lon = lambda v: math.degrees(v / 6378137.0)  # noqa: E731
    lat = lambda v: math.degrees(2 * math.atan(math.exp(v / 6378137.0)) - math.pi / 2)  # noqa: E731
    count = 0
    with sqlite3.connect(tmp) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        db.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [
            ("name", "London LSOA 2021 boundaries"), ("format", "pbf"), ("type", "overlay"),
            ("minzoom", "0"), ("maxzoom", str(MAX_ZOOM)),
            ("bounds", f"{lon(minx):.5f},{lat(miny):.5f},{lon(maxx):.5f},{lat(maxy):.5f}"),
            ("attribution", "Contains ONS data © Crown copyright and database right (OGL v3)"),
            ("json", json.dumps({"vector_layers": [{"id": LAYER, "fields": {}, "minzoom": 0, "maxzoom": MAX_ZOOM,
                                                    "description": "LSOA 2021; id = position in /map-data's codes"}]})),
        ])
        for z in range(MAX_ZOOM + 1):
            x0, y0, x1, y1 = tile_range(index, z)
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    body = make_tile(index, z, x, y)
                    if body:
                        db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                                   (z, x, 2**z - 1 - y, gzip.compress(body, 6)))
                        count += 1
    tmp.replace(target)
    return count


@contextmanager
def _only_one_maker(target: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``target``'s lock file (POSIX ``flock``; no lock where there is none)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: each process may make the file (the last one's replace wins)
        yield
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_suffix(".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_pyramid(index: MapIndex) -> int:
    """Load the index's tile file into memory (making it first when missing); returns the tiles loaded.
    Tiles in the range that the file does not hold are empty."""
    target = pyramid_path(index)
    if not target.is_file():
        try:
            with _only_one_maker(target):  # the server's other processes wait, then read what it made
                if not target.is_file():
                    write_pyramid(index, target)
        except OSError:  # a read-only output folder: tiles are then made as they are asked for
            return 0
    store = _store(index)
    held: dict[tuple[int, int, int], Entry | None] = {}
    with sqlite3.connect(f"file:{target}?mode=ro", uri=True) as db:
        for z, x, row, data in db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"):
            held[(z, x, 2**z - 1 - row)] = _entry(gzip.decompress(data), bytes(data))
    for z in range(MAX_ZOOM + 1):
        x0, y0, x1, y1 = tile_range(index, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                store[(z, x, y)] = held.get((z, x, y))
    return len(held)
