"""Fixtures for the inclusion map's tests: one London index built per test session, shared by the unit,
API and browser tests (import the fixtures you use from here).

The index is built with the contract command (``boroughs inclusion build``) into a temporary folder, once.
``BOROUGHS_TEST_MAP_INDEX=/path/to/out`` reuses an index built earlier (saves the build's ~10 s).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from boroughs.config import reset_settings
from tests.browser.conftest import wait_until
from tests.conftest import skip_or_fail

_built: dict[str, Path] = {}


def build_index_once(data_dir: Path) -> Path:
    """The folder of a London index built from ``data_dir`` (built on first use in this process)."""
    if "out" in _built:
        return _built["out"]
    given = os.environ.get("BOROUGHS_TEST_MAP_INDEX")
    if given:
        out = Path(given)
    else:
        from boroughs.inclusion.demo import ensure_index

        out = Path(tempfile.mkdtemp(prefix="boroughs-map-index-")) / "out"
        try:
            ensure_index(out, data_dir)
        except RuntimeError as exc:
            skip_or_fail(f"the inclusion index could not be built: {exc}")
    if not (out / "lsoa21.csv").is_file():
        skip_or_fail(f"no built index in {out}")
    _built["out"] = out
    return out


@pytest.fixture(scope="session")
def map_index_dir(data_dir: Path) -> Path:
    """A built London index (built once per session)."""
    return build_index_once(data_dir)


@pytest.fixture(scope="module")
def map_env(map_index_dir: Path) -> Iterator[Path]:
    """The app's output folder (``BOROUGHS_OUT_DIR``) pointed at the built index for one test module, and
    put back afterwards (other areas' tests keep their own settings)."""
    before = os.environ.get("BOROUGHS_OUT_DIR")
    os.environ["BOROUGHS_OUT_DIR"] = str(map_index_dir)
    reset_settings()
    yield map_index_dir
    if before is None:
        os.environ.pop("BOROUGHS_OUT_DIR", None)
    else:
        os.environ["BOROUGHS_OUT_DIR"] = before
    reset_settings()


@pytest.fixture(scope="module")
def map_server(live_server: Any, map_env: Path) -> Any:
    """The shared live server, serving the built index (while this module's tests run)."""
    return live_server


def open_map(page: Any, url: str, timeout: float = 30_000) -> None:
    """Open the map and wait until it has drawn everything once (MapLibre's first ``idle``)."""
    page.goto(url)
    wait_until(page, "document.body.dataset.mapReady === '1'", timeout=timeout)
