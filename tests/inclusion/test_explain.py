"""Plain-English explanations, as data and as text, and the CLI."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from boroughs.core.errors import NotFound
from boroughs.inclusion.cli import app
from boroughs.inclusion.explain import explain_area, explain_text
from boroughs.inclusion.index import BuildResult, BuiltIndex


def test_explanation_of_the_highest_risk_area(london_index: BuiltIndex) -> None:
    code = london_index.lsoa["rank"].idxmin()
    info = explain_area(london_index, code)
    assert info["rank"] == 1 and info["decile"] == 1
    assert info["reasons"] and all(r["contribution"] > 0 for r in info["reasons"])
    text = explain_text(info)
    assert f"ranks 1 of {len(london_index.lsoa):,}" in text
    assert "London median" in text
    assert info["area_type_name"] in text
    assert "have not used the internet" in text


def test_unknown_area(london_index: BuiltIndex) -> None:
    with pytest.raises(NotFound, match="E01999999"):
        explain_area(london_index, "E01999999")


def test_cli_explain_and_validate(london_build: BuildResult) -> None:
    runner = CliRunner()
    code = london_build.lsoa.sort_values("rank")["lsoa21_code"].iloc[10]
    res = runner.invoke(app, ["explain", code, "--out", str(london_build.out_dir)])
    assert res.exit_code == 0, res.output
    assert code in res.output and "main reasons" in res.output
    res = runner.invoke(app, ["explain", "E01999999", "--out", str(london_build.out_dir)])
    assert res.exit_code == 1
    res = runner.invoke(app, ["validate", "--out", str(london_build.out_dir)])
    assert res.exit_code == 0, res.output
    assert "DERI v1.6" in res.output and "calibrated (default)" in res.output


def test_reasons_point_at_higher_risk(london_index: BuiltIndex) -> None:
    for code in london_index.lsoa.sort_values("rank").index[:200:20]:
        for reason in explain_area(london_index, code)["reasons"]:
            assert reason["risk_percentile"] > 50
            direction = london_index.catalogue.by_id(reason["indicator"]).direction
            if direction > 0:
                assert reason["value"] >= reason["median"]
            else:
                assert reason["value"] <= reason["median"]
