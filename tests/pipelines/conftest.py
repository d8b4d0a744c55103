"""Fixtures of the pipelines tests: ONE SparkSession for the whole test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """Process-wide SparkSession (startup costs ~8 s, so it is shared)."""
    from pipelines.spark.session import get_spark, stop_spark
    from suuupra.settings import load_settings

    session = get_spark(load_settings(spark_shuffle_partitions=2))
    yield session
    stop_spark()
