"""The same linkage on Spark local mode (issue 5). Slow (Spark starts a JVM and runs hundreds of stages)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from boroughs.support.linkage.prepare import read_canonical
from boroughs.support.linkage.service import link_records, pairwise_scores
from boroughs.support.synth.population import synthesise

pytestmark = pytest.mark.slow


@pytest.mark.skipif(importlib.util.find_spec("pyspark") is None, reason="pyspark is not installed")
def test_spark_backend_matches_duckdb(tmp_path: Path, data_dir: Path) -> None:
    from boroughs.support.linkage.spark import stop_spark

    synthesise(300, 4, tmp_path, data_dir=data_dir, history=False)
    frame = read_canonical([tmp_path / "SYNTHETIC_persons.csv"])
    truth = pd.read_csv(tmp_path / "SYNTHETIC_ground_truth.csv", dtype=str)
    try:
        spark = link_records(frame, backend="spark", retain_explanations=False)
    finally:
        stop_spark()
    duck = link_records(frame, backend="duckdb", retain_explanations=False)
    for result in (spark, duck):
        merged = result.clusters.merge(truth, on=["source", "record_id"])
        scores = pairwise_scores(merged, merged["person_id"])
        assert scores["f1"] >= 0.9, scores
    assert spark.evaluation["backend"] == "spark"
    assert abs(spark.evaluation["residents"] - duck.evaluation["residents"]) <= 0.05 * duck.evaluation["residents"]
