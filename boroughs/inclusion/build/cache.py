"""A cache of parsed build inputs, so a rebuild from unchanged data does not parse every file again.

Reading and checking the open data (16 CSV tables, two ONS workbooks, checksums) is the slowest step of a
London build. The parsed :class:`boroughs.inclusion.build.indicators.Inputs` is pickled under the cache folder
(``BOROUGHS_INCLUSION_CACHE_DIR``; default ``~/.cache/boroughs/inclusion``, or under ``XDG_CACHE_HOME``),
keyed by a fingerprint of:

* every file in the data folder (path, size and modification time), so a changed, added or removed file
  misses the cache and is read and checked again (bad input is always reported);
* the code and catalogue that compute the inputs (their bytes);
* the area (London or England) and the Python, pandas and NumPy versions.

A cache file that cannot be read is ignored and rewritten. ``--no-cache`` (``BuildParams.cache=False``)
skips it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import platform
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from boroughs.inclusion.build.catalogue import Catalogue
from boroughs.inclusion.build.indicators import Inputs, load_inputs

VERSION = 1


def cache_dir() -> Path:
    from boroughs.config import get_settings

    configured = get_settings().inclusion_cache_dir
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "boroughs" / "inclusion"


def _code_files() -> list[Path]:
    root = Path(str(resources.files("boroughs.inclusion")))
    files = [root / "build" / n for n in ("indicators.py", "convert.py", "catalogue.py", "estimate.py", "cache.py")]
    files += sorted((root / "sources").glob("*.py"))
    files += sorted(Path(str(resources.files("boroughs.core"))).glob("datasets.py"))
    return files


def fingerprint(data_dir: Path, area: str, catalogue: Catalogue) -> str:
    h = hashlib.sha256()
    h.update(f"v{VERSION}|{area}|{platform.python_version()}|{pd.__version__}|{np.__version__}|".encode())
    h.update(str(data_dir.resolve()).encode())
    for p in sorted(data_dir.rglob("*")):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.relative_to(data_dir)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    for p in [*_code_files(), Path(catalogue.path)]:
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()[:32]


def boundary_json(data_dir: Path | None, inputs: Inputs) -> dict[str, str]:
    """Each London LSOA's boundary geometry as compact GeoJSON text (read and checked once, then cached)."""
    import json

    from boroughs.core.datasets import require_file
    from boroughs.inclusion.sources import boundaries

    path = require_file(boundaries.LSOA21, data_dir)
    doc = json.loads(path.read_text(encoding="utf-8"))
    features = doc.get("features", [])
    inputs.log.record(boundaries.LSOA21, path, len(features))
    return {str(f["properties"].get("lsoa21_code")): json.dumps(f["geometry"], separators=(",", ":"))
            for f in features}


def load_inputs_cached(data_dir: Path | None, area: str, catalogue: Catalogue, use_cache: bool = True) -> Inputs:
    """:func:`boroughs.inclusion.build.indicators.load_inputs`, from the cache when the data and code are unchanged."""
    if not use_cache:
        inputs = load_inputs(data_dir, area, catalogue)
        if area == "london":
            inputs.boundary_json = boundary_json(data_dir, inputs)
        return inputs
    from boroughs.config import get_settings

    root = Path(data_dir or get_settings().data_dir)
    if not root.is_dir():
        return load_inputs(data_dir, area, catalogue)  # the loader reports the missing folder
    key = fingerprint(root, area, catalogue)
    folder = cache_dir()
    path = folder / f"inputs-{area}-{key}.pkl"
    if path.is_file():
        try:
            with path.open("rb") as fh:
                found = pickle.load(fh)
            if isinstance(found, Inputs):
                return found
        except Exception:  # a truncated or incompatible cache file: read the data again
            pass
    inputs = load_inputs(data_dir, area, catalogue)
    if area == "london":
        inputs.boundary_json = boundary_json(data_dir, inputs)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"inputs-{area}-*.pkl"):
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".inputs-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(inputs, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:  # a read-only home folder: build without the cache
        pass
    return inputs
