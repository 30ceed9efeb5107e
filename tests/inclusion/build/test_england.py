"""England mode: national indicators for all 33,755 LSOAs, validated outside London."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boroughs.inclusion.build.index import BuildParams, build


def test_england_build_validates_outside_london(data_dir: Path, tmp_path: Path) -> None:
    result = build(data_dir, tmp_path / "england", BuildParams(area="england", mc_draws=0))
    lsoa = pd.read_csv(tmp_path / "england" / "lsoa21.csv")
    assert len(lsoa) == 33755
    v = result.validation
    assert v["group_label"] == "region"
    assert v["coverage"]["groups_with_truth"] == 8  # the eight English regions outside London
    assert "E12000007" not in v["methods"]["calibrated"]["per_group"]
    assert v["methods"]["calibrated"]["spearman"] > v["comparators"]["deri"]["spearman"]
    assert v["methods"]["calibrated"]["areas"] > 20000
    assert {"need_access", "need_age"} <= set(lsoa.columns)
    assert (tmp_path / "england" / "borough.csv").is_file()
