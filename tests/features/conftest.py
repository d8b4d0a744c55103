"""Fixtures for the feature-store tests: a real Feast repo over small Parquet tables.

Settings are built explicitly (not from the environment) and passed to every
call, so module-scoped stores can be shared between tests without touching the
process-wide settings cache.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

#: Fixed start so two stores built from the same data answer identically.
START = (datetime.now(UTC) - timedelta(days=5)).replace(hour=0, minute=0, second=0, microsecond=0)


def make_settings(data_dir: Path, **overrides):
    from suuupra.settings import load_settings

    project = overrides.pop("feast_project", f"t_{uuid.uuid4().hex[:10]}")
    return load_settings(data_dir=data_dir, feast_project=project, **overrides)


@pytest.fixture(scope="session")
def make_feast_settings():
    """Factory: settings for a fresh data dir with a unique Feast project name."""
    return make_settings


@pytest.fixture(scope="session")
def sample_start() -> datetime:
    return START


@pytest.fixture(scope="session")
def local_feast(tmp_path_factory) -> Iterator[tuple]:
    """(settings, world) of an applied + materialized local (file/SQLite) store."""
    from features.apply import apply_repo
    from features.materialize import materialize_incremental
    from features.sample_data import write_sample_tables
    from features.store import forget_stores

    data_dir = tmp_path_factory.mktemp("feast_local")
    settings = make_settings(data_dir, profile="local")
    world = write_sample_tables(settings, start=START)
    apply_repo(settings)
    materialize_incremental(settings)
    yield settings, world
    forget_stores()
