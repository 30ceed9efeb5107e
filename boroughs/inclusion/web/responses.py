"""HTTP answers for the map's bytes: an ETag (``If-None-Match`` gives ``304``), and for bytes that only change
with the built index, gzipped once and kept in the index's cache."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response

from boroughs.inclusion.map.index import MapIndex
from boroughs.inclusion.map.payloads import dumps


def etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


def cache_entry(index: MapIndex, key: str, build: Callable[[], bytes], level: int = 9) -> tuple[bytes, bytes, str]:
    """``(body, gzipped body, ETag)`` under ``key`` in the index's cache, built and compressed once."""
    entry: tuple[bytes, bytes, str] | None = index.cache.get(key)
    if entry is None:
        entry = encode(build(), level)
        index.cache[key] = entry
    return entry


def cached_response(request: Request, index: MapIndex, key: str, build: Callable[[], bytes],
                    media_type: str = "application/json", level: int = 9) -> Response:
    """A response for bytes that only change with the index: gzipped once, with an ETag and a 304 path."""
    return entry_response(request, cache_entry(index, key, build, level), media_type)


def encode(body: bytes, level: int = 9) -> tuple[bytes, bytes, str]:
    """``(body, gzipped body, ETag)``: what :func:`entry_response` answers with."""
    return body, gzip.compress(body, level), etag(body)


def entry_response(request: Request, entry: tuple[bytes, bytes, str],
                   media_type: str = "application/json") -> Response:
    """The answer for an encoded ``(body, gzipped body, ETag)``: ``304``, gzipped or plain."""
    body, zipped, tag = entry
    headers = {"ETag": tag, "Cache-Control": "public, max-age=300, must-revalidate", "Vary": "Accept-Encoding"}
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(zipped, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type=media_type, headers=headers)


def etagged(request: Request, body: bytes, media_type: str = "application/json") -> Response:
    """A small answer with an ETag (gzip is left to the app's middleware)."""
    tag = etag(body)
    headers = {"ETag": tag, "Cache-Control": "public, max-age=60, must-revalidate"}
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def json_response(request: Request, doc: Any) -> Response:
    """A small JSON answer with an ETag."""
    return etagged(request, dumps(doc))
