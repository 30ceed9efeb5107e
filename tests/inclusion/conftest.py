"""Inclusion fixtures: the London index is built once per test session from the real data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from boroughs.inclusion.index import BuildParams, BuildResult, BuiltIndex, build, load
from boroughs.inclusion.indicators import Inputs, load_inputs


@pytest.fixture(scope="session")
def london_inputs(data_dir: Path) -> Inputs:
    return load_inputs(data_dir, "london")


@pytest.fixture(scope="session")
def london_build(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    out = tmp_path_factory.mktemp("inclusion") / "london"
    return build(data_dir, out, BuildParams())


@pytest.fixture(scope="session")
def london_index(london_build: BuildResult) -> BuiltIndex:
    return load(london_build.out_dir)


def mirror_data(data_dir: Path, dest: Path, *, except_files: tuple[str, ...] = ()) -> Path:
    """A data folder of symlinks to the real files, except ``except_files`` which are real copies to corrupt."""
    for src in data_dir.rglob("*"):
        if src.is_dir():
            continue
        rel = src.relative_to(data_dir)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if str(rel) in except_files:
            shutil.copyfile(src, target)
        else:
            target.symlink_to(src)
    return dest
