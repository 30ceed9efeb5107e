"""Spark backend for linkage: a local Spark session with Splink's similarity functions registered.

``boroughs support link --backend spark`` uses ``spark_api()``. Locally Spark runs in-process
(``local[*]``; set ``SPARK_LOCAL_IP=127.0.0.1`` where the machine has no resolvable hostname). On a cluster,
set ``BOROUGHS_SPARK_MASTER`` (e.g. ``spark://host:7077`` or ``yarn``) and ship Splink's similarity jar
(``splink.backends.spark.similarity_jar_location()``) with ``spark.jars``; see docs/support/linkage.md.
"""

from __future__ import annotations

import os
from typing import Any

from boroughs.config import get_settings

_session: Any = None


def spark_session() -> Any:
    global _session
    if _session is not None:
        return _session
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    master = get_settings().spark_master
    _session = (
        SparkSession.builder.master(master)
        .appName("boroughs-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", get_settings().spark_driver_memory)
        .config("spark.sql.shuffle.partitions", str(get_settings().spark_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    _session.sparkContext.setLogLevel("ERROR")
    _session.sparkContext.setCheckpointDir("/tmp/boroughs-spark-checkpoints")
    return _session


def spark_api() -> Any:
    from splink import SparkAPI

    return SparkAPI(spark_session=spark_session(), break_lineage_method=get_settings().spark_break_lineage)


def stop_spark() -> None:
    global _session
    if _session is not None:
        _session.stop()
        _session = None
