"""Static files gzipped once, not on every request (issue 13: the map page's first visit).

Starlette's ``StaticFiles`` streams a file as it is, and the app's gzip middleware then compresses it on every
request: for MapLibre GL JS (1 MB) that is some 40 ms of the server's CPU a visit, and the browser waits for
the compressed stream. Here a text file (scripts, styles, SVG, JSON) is compressed once, at the highest level,
and kept in memory keyed by its path, size and modification time; every other answer (``304``, ``404``, a
font, an image, a client that does not accept gzip) is ``StaticFiles``'s own.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

COMPRESSIBLE = (".js", ".css", ".svg", ".json", ".map", ".txt")
_CACHE: dict[tuple[str, int, int], bytes] = {}


def _compressed(path: str, size: int, mtime: int) -> bytes:
    """The file gzipped (read and compressed in a worker thread; kept for the life of the process)."""
    key = (path, size, mtime)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = gzip.compress(Path(path).read_bytes(), 9, mtime=0)
    return found


class GzipStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if (not isinstance(response, FileResponse) or response.status_code != 200
                or not str(response.path).endswith(COMPRESSIBLE)
                or "gzip" not in Headers(scope=scope).get("accept-encoding", "")):
            return response
        stat = response.stat_result
        assert stat is not None  # StaticFiles always gives the file's stat
        key = (os.fspath(response.path), stat.st_size, int(stat.st_mtime_ns))
        body = _CACHE.get(key)
        if body is None:
            body = await anyio.to_thread.run_sync(_compressed, *key)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        headers.update({"content-encoding": "gzip", "vary": "Accept-Encoding"})
        return Response(body, status_code=200, headers=headers, media_type=response.media_type)
