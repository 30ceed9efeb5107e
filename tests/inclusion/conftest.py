"""Inclusion fixtures: the London index is built once per test session from the real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from boroughs.app import cli as app
from boroughs.inclusion.build.index import BuildResult, BuiltIndex, load
from boroughs.inclusion.build.indicators import Inputs, load_inputs


@pytest.fixture(scope="session")
def london_inputs(data_dir: Path) -> Inputs:
    return load_inputs(data_dir, "london")


@pytest.fixture(scope="session")
def london_build(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The London index, built once through the contract command ``boroughs inclusion build``."""
    out = tmp_path_factory.mktemp("inclusion") / "london"
    res = CliRunner().invoke(app, ["inclusion", "build", "--data-dir", str(data_dir), "--out", str(out)])
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    return BuildResult(
        out_dir=out,
        lsoa=pd.read_csv(out / "lsoa21.csv", dtype={"lsoa21_code": "string"}),
        manifest=manifest,
        validation=json.loads((out / "validation.json").read_text()),
        timings=manifest["timings_seconds"],
    )


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
