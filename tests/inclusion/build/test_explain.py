"""Plain-English explanations, as data and as text, and the CLI."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from boroughs.core.errors import NotFound
from boroughs.inclusion.build.explain import explain_area, explain_text
from boroughs.inclusion.build.index import BuildResult, BuiltIndex
from boroughs.inclusion.cli import app


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


def test_every_listed_reason_has_the_stated_sign(london_index: BuiltIndex) -> None:
    """What "raises" an area's risk has a positive contribution to its score, what "lowers" it a negative one,
    each ordered by the size of its contribution, and the value sits on the stated side of the median."""
    codes = list(london_index.lsoa.sort_values("rank").index[::250])
    cat = london_index.catalogue
    for code in codes:
        info = explain_area(london_index, code)
        for key, sign in (("reasons", 1), ("lowers", -1)):
            items = info[key]
            contributions = [r["contribution"] for r in items]
            assert all(c * sign > 0 for c in contributions), (code, key, contributions)
            assert contributions == sorted(contributions, key=lambda c: -abs(c))
            for r in items:
                assert float(london_index.contributions.at[code, r["indicator"]]) * sign > 0
                above = r["value"] > r["median"] if cat.by_id(r["indicator"]).direction > 0 else r["value"] < r["median"]
                assert above == (sign > 0), (code, r)
        text = explain_text(info)
        if info["lowers"]:
            assert "What lowers its risk" in text
    # Somewhere in London a measure lowers an area's risk (the test is not vacuous).
    assert any(explain_area(london_index, c)["lowers"] for c in codes)
