"""Batch ETL orchestration: which raw files to read, which partitions to write.

Idempotency: every partitioned table is written with Spark's *dynamic*
partition overwrite, so re-running a date replaces exactly that ``date``
partition and leaves the others alone. Look-back windows (7/30 days) read the
already-written ``events_clean`` partitions, so one date can be re-run on its
own. Unpartitioned snapshots (``interactions``, ``mart_retention_cohorts``) are
rewritten whole, as of the newest processed date.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from suuupra.events import TOPICS
from suuupra.lake import table_path
from suuupra.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

PARTITIONED = (
    "events_clean", "learner_daily", "course_daily", "payments_labeled", "mart_active_users", "mart_funnel",
    "mart_revenue_by_course", "mart_revenue_by_instructor",
)
SNAPSHOTS = ("interactions", "mart_retention_cohorts")


class EtlError(RuntimeError):
    """The ETL cannot run (no raw data for the requested dates, bad date...)."""


@dataclass
class EtlResult:
    dates: list[date]
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def raw_dates(settings: Settings) -> list[date]:
    """Dates that have at least one published raw segment in the lake."""
    found = {p.name.split("=", 1)[1] for p in settings.events_dir.glob("topic=*/date=*") if p.is_dir()}
    return sorted(date.fromisoformat(d) for d in found)


def parse_dates(spec: str | None, settings: Settings) -> list[date]:
    """``None`` -> every raw date; ``2026-10-27`` -> one; ``2026-10-27..2026-11-02`` -> inclusive range."""
    if not spec:
        dates = raw_dates(settings)
        if not dates:
            raise EtlError(f"no raw events under {settings.events_dir}; generate some with `suuupra demo-data`")
        return dates
    try:
        if ".." in spec:
            a, b = (date.fromisoformat(s.strip()) for s in spec.split("..", 1))
        else:
            a = b = date.fromisoformat(spec.strip())
    except ValueError:
        raise EtlError(f"bad date {spec!r}: use YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD") from None
    if b < a:
        raise EtlError(f"bad date range {spec!r}: end before start")
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


def raw_files(topic: str, dates: Iterable[date], settings: Settings) -> list[str]:
    """Published segments of ``topic`` for ``dates`` (dot-prefixed in-progress files excluded)."""
    files: list[str] = []
    for d in dates:
        files += [str(p) for p in sorted((settings.events_dir / f"topic={topic}" / f"date={d}").glob("hour=*/part-*.jsonl"))]
    return files


def read_raw(spark: SparkSession, dates: list[date], settings: Settings) -> DataFrame | None:
    """All topics of ``dates`` with the explicit per-topic schema, unioned to one frame."""
    from pipelines.spark.schemas import topic_schema
    from pipelines.spark.transforms import normalize_topic

    frames = []
    for topic in TOPICS:
        files = raw_files(topic, dates, settings)
        if files:
            raw = spark.read.schema(topic_schema(topic)).option("mode", "PERMISSIVE").json(files)
            frames.append(normalize_topic(raw, topic))
    if not frames:
        return None
    out = frames[0]
    for f in frames[1:]:
        out = out.unionByName(f)
    return out


def write_table(df: DataFrame, name: str, settings: Settings, partitioned: bool) -> int:
    """Write ``df`` as table ``name``; returns rows written.

    Rows are counted from the footers of the Parquet files this write created
    (one Spark job per table instead of a count plus a write).
    """
    import pyarrow.parquet as pq

    path = table_path(name, settings)
    t0 = time.time() - 1.0
    writer = df.write.mode("overwrite")
    if partitioned:
        writer = writer.partitionBy("date")
    writer.parquet(str(path))
    pattern = "date=*/*.parquet" if partitioned else "*.parquet"
    files = [f for f in path.glob(pattern) if f.stat().st_mtime >= t0]
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def read_table(spark: SparkSession, name: str, settings: Settings) -> DataFrame:
    path = table_path(name, settings)
    if not path.exists():
        raise EtlError(f"table {name} does not exist at {path}; run `suuupra etl spark` first")
    return spark.read.parquet(str(path))


def _step(result: EtlResult, name: str, fn: Callable[[], int], report: Callable[[str], None]) -> None:
    t0 = time.perf_counter()
    result.rows[name] = fn()
    result.seconds[name] = round(time.perf_counter() - t0, 3)
    report(f"{name}: {result.rows[name]} rows in {result.seconds[name]:.1f}s")


def run_etl(
    settings: Settings,
    dates: list[date] | None = None,
    *,
    tables: Iterable[str] | None = None,
    report: Callable[[str], None] = lambda _msg: None,
    rebuild_clean: bool = True,
) -> EtlResult:
    """Run the batch ETL for ``dates`` (default: every raw date).

    ``tables`` limits which derived tables are written; ``events_clean`` is
    rebuilt for the dates first (everything reads from it) unless
    ``rebuild_clean=False``.
    """
    from pipelines.spark import transforms as tf
    from pipelines.spark.session import get_spark

    dates = sorted(set(dates or parse_dates(None, settings)))
    wanted = set(tables or (PARTITIONED + SNAPSHOTS))
    spark = get_spark(settings)
    result = EtlResult(dates=dates)

    if rebuild_clean:
        raw = read_raw(spark, dates, settings)
        if raw is None:
            raise EtlError(f"no raw events for {dates[0]}..{dates[-1]} under {settings.events_dir}")
        _step(result, "events_clean", lambda: write_table(tf.clean_events(raw), "events_clean", settings, True),
              report)

    ev = read_table(spark, "events_clean", settings).where(f"date <= DATE'{dates[-1]}'").cache()
    jobs: dict[str, tuple[Callable[[], DataFrame], bool]] = {
        "interactions": (lambda: tf.interactions(ev, dates[-1]), False),
        "learner_daily": (lambda: tf.learner_daily(ev, dates), True),
        "course_daily": (lambda: tf.course_daily(ev, dates), True),
        "payments_labeled": (lambda: tf.payments_labeled(ev, dates), True),
        "mart_active_users": (lambda: tf.mart_active_users(ev, dates), True),
        "mart_retention_cohorts": (lambda: tf.mart_retention_cohorts(ev, dates[-1]), False),
        "mart_funnel": (lambda: tf.mart_funnel(ev, dates), True),
        "mart_revenue_by_course": (lambda: tf.mart_revenue_by_course(ev, dates), True),
    }
    for name, (build, partitioned) in jobs.items():
        if name in wanted:
            _step(result, name, lambda b=build, n=name, p=partitioned: write_table(b(), n, settings, p), report)
    if "mart_revenue_by_instructor" in wanted:
        by_course = tf.mart_revenue_by_course(ev, dates)
        _step(
            result,
            "mart_revenue_by_instructor",
            lambda: write_table(tf.mart_revenue_by_instructor(by_course), "mart_revenue_by_instructor", settings, True),
            report,
        )
    ev.unpersist()
    return result


def table_exists(name: str, settings: Settings) -> bool:
    path: Path = table_path(name, settings)
    return path.exists() and any(path.rglob("*.parquet"))
