"""One SparkSession per process, configured from settings.

Spark's JVM start costs ~8 s, so every caller (CLI, Dagster assets, tests,
benchmarks) goes through :func:`get_spark`, which builds the session once and
hands back the same object afterwards.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING

from suuupra.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_LOCK = threading.Lock()


def get_spark(settings: Settings) -> SparkSession:
    """Return the process-wide SparkSession (creating it on first call, from ``settings``).

    A JVM holds one active session, so a later call with other settings gets
    the session already running (its master and partitions were fixed by the
    first caller).

    Small shuffle partitions because our daily partitions are small: the Spark
    default of 200 would spend most of the run scheduling empty tasks. UTC
    session time zone so ``date`` columns never depend on the host clock.
    Dynamic partition overwrite makes ``mode("overwrite")`` replace only the
    ``date`` partitions present in the written frame (idempotent re-runs).
    """
    with _LOCK:
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (
            SparkSession.builder.appName("suuupra-etl")
            .master(settings.spark_master or "local[*]")
            .config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
            .config("spark.default.parallelism", str(settings.spark_shuffle_partitions))
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
            .config("spark.sql.adaptive.enabled", "true")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", "2g")
            .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
            .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
            .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
        )
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        return spark


def stop_spark() -> None:
    """Stop the process-wide session (CLI exit, end of a test session)."""
    from pyspark.sql import SparkSession

    with _LOCK:
        active = SparkSession.getActiveSession()
        if active is not None:
            active.stop()
