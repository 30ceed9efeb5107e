"""The inclusion area's web routes, as its ``AREA`` declares them: ``router`` (the JSON API, provision and the
map's pages), ``NAV``, ``PRELOAD`` and ``WARM``."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter

from boroughs.inclusion.map import payloads, tiles
from boroughs.inclusion.map.loading import get_index, index_available
from boroughs.inclusion.provision.service import gap_table
from boroughs.inclusion.web import api, pages, pdf, provision
from boroughs.inclusion.web.responses import cache_entry
from boroughs.web.templating import env

router = APIRouter()
router.include_router(api.router)
router.include_router(provision.router)
router.include_router(pages.router)
NAV = [{"text": "Map", "href": "/map"}]
env.globals["pdf_unavailable"] = pdf.pdf_unavailable  # briefings say how to enable PDFs when they cannot


def preload_map(sessions: Any) -> None:
    """Issue 13: load the index and encode what ``/map`` fetches (map data, boundaries and their tiles, the provision and
    the gap layer, every layer's values and every area's profile at the published weights), so the first
    visit after start-up is as fast as later ones and the API only looks its answers up
    (``BOROUGHS_MAP_PRELOAD``)."""
    if not index_available():
        return
    index = get_index()
    cache_entry(index, "map-data", lambda: payloads.dumps(payloads.first_view(index)))
    for kind in ("lsoa21", "borough", "ward"):
        cache_entry(index, f"topo:{kind}", partial(payloads.topology, index, kind))
    tiles.load_pyramid(index)  # the LSOA tiles the map draws (made once per index, about 10 s)
    for layer in index.layers:  # every layer's values, and every area's profile: the API only looks up
        cache_entry(index, f"values:{layer.id}", partial(_values, index, layer.id))
    api.preload_profiles(index)
    with sessions() as db:
        gap_table(db, index)


def _values(index: Any, layer_id: str) -> bytes:
    return payloads.dumps(payloads.layer_values(index, layer_id))


PRELOAD = (preload_map,)
WARM = ("/map",)  # asked for once at start-up, after PRELOAD (boroughs.web.app)
