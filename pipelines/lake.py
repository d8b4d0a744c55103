"""One place that decides where lake tables live.

Every producer (Spark, Flink) and consumer (Feast offline sources, models,
marts) resolves table locations through :func:`table_path`, so moving the lake
(another data dir, a prod mount) is a settings change, never a code hunt.
"""

from __future__ import annotations

import re
from pathlib import Path

from suuupra.settings import Settings, get_settings

_NAME = re.compile(r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)?$")

#: Batch tables written by the Spark ETL (``<tables_dir>/<name>/``).
BATCH_TABLES: tuple[str, ...] = (
    "events_clean",
    "interactions",
    "learner_daily",
    "course_daily",
    "payments_labeled",
    "mart_active_users",
    "mart_retention_cohorts",
    "mart_funnel",
    "mart_revenue_by_course",
    "mart_revenue_by_instructor",
)

#: Stream outputs written by the Flink jobs (``<tables_dir>/stream/<name>/``).
STREAM_TABLES: tuple[str, ...] = (
    "learner_payment_velocity",
    "device_payment_velocity",
    "ip_payment_velocity",
    "course_engagement",
    "trending_courses",
)


def table_path(name: str, settings: Settings | None = None) -> Path:
    """Directory of lake table ``name`` (``"interactions"`` or ``"stream/trending_courses"``).

    A bare stream table name (e.g. ``"trending_courses"``) resolves under
    ``stream/`` as well, so callers need not remember which engine wrote it.
    """
    if not _NAME.match(name):
        raise ValueError(f"invalid table name {name!r}: use lower_snake_case, optionally prefixed by 'stream/'")
    settings = settings or get_settings()
    if "/" not in name and name in STREAM_TABLES:
        name = f"stream/{name}"
    return settings.tables_dir / name


def stream_table_path(name: str, settings: Settings | None = None) -> Path:
    """Directory of a Flink output table (always under ``<tables_dir>/stream/``)."""
    return table_path(f"stream/{name.removeprefix('stream/')}", settings)


def flink_staging_path(name: str, settings: Settings | None = None) -> Path:
    """Where a Flink job's file sink commits its JSON output (``<lake_dir>/flink/<name>/``).

    Kept apart from ``stream/<name>/`` because that directory is a Parquet
    table read by Feast; the publisher converts committed staging files into
    Parquet parts there and pushes them to the online store.
    """
    settings = settings or get_settings()
    return settings.lake_dir / "flink" / name


def checkpoint_dir(job: str, settings: Settings | None = None) -> Path:
    """Local Flink checkpoint directory of ``job`` under the data dir."""
    settings = settings or get_settings()
    return settings.data_dir / "checkpoints" / "flink" / job
