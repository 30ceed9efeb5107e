"""The parsed-inputs cache: reused only while every data file and the code are unchanged."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from boroughs.config import reset_settings
from boroughs.inclusion.build import cache
from boroughs.inclusion.build.catalogue import load_catalogue
from boroughs.inclusion.build.indicators import Inputs


def test_fingerprint_changes_with_any_data_file(tmp_path: Path) -> None:
    cat = load_catalogue()
    (tmp_path / "a").mkdir()
    f = tmp_path / "a" / "table.csv"
    f.write_text("x\n1\n")
    first = cache.fingerprint(tmp_path, "london", cat)
    assert cache.fingerprint(tmp_path, "london", cat) == first
    assert cache.fingerprint(tmp_path, "england", cat) != first
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    second = cache.fingerprint(tmp_path, "london", cat)
    assert second != first
    (tmp_path / "a" / "new.csv").write_text("y\n")
    assert cache.fingerprint(tmp_path, "london", cat) != second


def test_a_warm_cache_gives_the_same_inputs(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            london_inputs: Inputs) -> None:
    monkeypatch.setenv("BOROUGHS_INCLUSION_CACHE_DIR", str(tmp_path / "cache"))
    reset_settings()
    try:
        cold = cache.load_inputs_cached(data_dir, "london", load_catalogue())
        assert list((tmp_path / "cache").glob("inputs-london-*.pkl"))
        warm = cache.load_inputs_cached(data_dir, "london", load_catalogue())
    finally:
        reset_settings()
    assert warm.values.equals(cold.values) and warm.values.equals(london_inputs.values)
    assert warm.log.as_list() == cold.log.as_list()
    assert warm.boundary_json is not None and len(warm.boundary_json) == len(warm.values)
