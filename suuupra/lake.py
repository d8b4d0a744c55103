"""One place that decides where lake tables (and stream-job state) live.

Every producer (Spark, Flink) and consumer (Feast offline sources, models,
marts, serving) resolves table locations through :func:`table_path`, so moving
the lake (another data dir, a prod mount) is a settings change, never a code
hunt. It lives in the kernel because producers and consumers sit in different
areas that must not import each other.
"""

from __future__ import annotations

import re
from pathlib import Path

from suuupra.settings import Settings
from suuupra.stream_tables import STREAM_TABLES as _STREAM_CONTRACT

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
STREAM_TABLES: tuple[str, ...] = tuple(_STREAM_CONTRACT)


def table_path(name: str, settings: Settings) -> Path:
    """Directory of lake table ``name`` (``"interactions"`` or ``"stream/trending_courses"``).

    A bare stream table name (e.g. ``"trending_courses"``) resolves under
    ``stream/`` as well, so callers need not remember which engine wrote it.
    """
    if not _NAME.match(name):
        raise ValueError(f"invalid table name {name!r}: use lower_snake_case, optionally prefixed by 'stream/'")
    if "/" not in name and name in STREAM_TABLES:
        name = f"stream/{name}"
    return settings.tables_dir / name


def stream_table_path(name: str, settings: Settings) -> Path:
    """Directory of a Flink output table (always under ``<tables_dir>/stream/``)."""
    return table_path(f"stream/{name.removeprefix('stream/')}", settings)


def flink_staging_path(name: str, settings: Settings) -> Path:
    """Where a Flink job's file sink commits its JSON output (``<lake_dir>/flink/<name>/``).

    Kept apart from ``stream/<name>/`` because that directory is a Parquet
    table read by the feature store; the publisher converts committed staging
    files into Parquet parts there.
    """
    return settings.lake_dir / "flink" / name


def checkpoint_dir(job: str, settings: Settings) -> Path:
    """Local Flink checkpoint directory of ``job`` under the data dir."""
    return settings.data_dir / "checkpoints" / "flink" / job
