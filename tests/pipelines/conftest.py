"""Fixtures of the pipelines tests: ONE SparkSession for the whole test session.

Settings are values built for each test's own data directory and passed to the
code under test (nothing is configured through ``SUUUPRA_*`` variables).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture()
def settings(tmp_path: Path):
    """Local-profile settings over a fresh data directory (overrides the root env-based fixture)."""
    from suuupra.settings import load_settings

    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    return load_settings(profile="local", data_dir=data)


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """Process-wide SparkSession (startup costs ~8 s, so it is shared)."""
    from pipelines.spark.session import get_spark, stop_spark
    from suuupra.settings import load_settings

    session = get_spark(load_settings(spark_shuffle_partitions=2))
    yield session
    stop_spark()
