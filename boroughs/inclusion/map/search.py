"""Place search for the map: LSOA codes and names, wards, boroughs, and postcodes (with a lookup file)."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

import pandas as pd

from boroughs.core.postcodes import lookup_path
from boroughs.inclusion.map.index import MapIndex

POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}$")
_postcode_lock = threading.Lock()


@lru_cache(maxsize=2)
def _postcodes(path: str, stamp: float) -> dict[str, str]:
    frame = pd.read_csv(path, dtype=str)
    lower = {c.lower(): c for c in frame.columns}
    pc = next((lower[c] for c in ("pcds", "pcd", "pcd7", "pcd8", "postcode") if c in lower), None)
    ls = next((lower[c] for c in ("lsoa21cd", "lsoa21", "lsoa21_code", "lsoa2021", "lsoa21_cd") if c in lower), None)
    if pc is None or ls is None:
        raise ValueError(f"{path}: the postcode lookup needs a postcode column (pcds) and an LSOA 2021 column "
                         f"(lsoa21cd); it has {', '.join(frame.columns)}.")
    keys = frame[pc].str.replace(r"\s+", "", regex=True).str.upper()
    return dict(zip(keys, frame[ls].str.strip(), strict=True))


def postcode_lookup() -> dict[str, str] | None:
    """Postcode → LSOA 2021, from ``BOROUGHS_POSTCODE_LOOKUP`` or else the ONSPD extract in the data directory."""
    path = lookup_path()
    if path is None:
        return None
    with _postcode_lock:
        return _postcodes(str(path), path.stat().st_mtime)


def search(index: MapIndex, query: str, limit: int = 10) -> list[dict[str, Any]]:
    """Places matching ``query``: LSOA codes and names, wards, boroughs, and postcodes (with a lookup file)."""
    q = query.strip()
    if len(q) < 2:
        return []
    ql = q.lower()
    results: list[dict[str, Any]] = []
    compact = re.sub(r"\s+", "", q.upper())
    if POSTCODE.match(q.upper()):
        lookup = postcode_lookup()
        if lookup is not None:
            lsoa = lookup.get(compact)
            if lsoa and lsoa in index.position:
                row = index.position[lsoa]
                results.append({"kind": "postcode", "label": f"{q.upper()} (postcode) in {index.frame.at[row, 'name']}",
                                "code": lsoa, "name": str(index.frame.at[row, "name"])})
    boroughs = index.boroughs
    for r in boroughs.itertuples():
        if ql in r.name.lower() or ql == r.code.lower():
            results.append({"kind": "borough", "label": f"{r.name} (borough)", "code": r.code, "name": r.name})
    wards = index.wards
    bnames = dict(zip(boroughs["code"], boroughs["name"], strict=True))
    for r in wards.itertuples():
        if ql in r.name.lower() or ql == r.code.lower():
            results.append({"kind": "ward", "label": f"{r.name} (ward, {bnames.get(r.borough_code, '')})",
                            "code": r.code, "name": r.name})
    frame = index.frame
    codes = frame["code"].str.lower()
    names = frame["name"].str.lower()
    hits = frame[(codes.str.startswith(ql)) | (names.str.contains(ql, regex=False))]
    for r in hits.head(limit).itertuples():
        results.append({"kind": "lsoa", "label": f"{r.name} ({r.code})", "code": r.code, "name": r.name})
    return results[:limit]
