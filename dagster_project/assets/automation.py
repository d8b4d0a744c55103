"""Schedules and sensors that keep the platform fresh.

* daily ETL over yesterday's event partition, and a sensor that requests the ETL
  for every newly *complete* event date in the lake (cursor = last date done,
  run_key = the date, so no partition is processed twice);
* daily feature materialization + model training after the ETL;
* a weekly re-crawl and re-index of the docs.

The sensor's decision logic is a plain function so it is tested without Dagster.
"""

from datetime import UTC, date, datetime
from pathlib import Path

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    build_schedule_from_partitioned_job,
    define_asset_job,
    sensor,
)

from dagster_project.assets.pipelines import spark_daily_tables
from dagster_project.resources import EventLogResource

daily_etl_job = define_asset_job(
    "daily_etl_job",
    selection=AssetSelection.assets(spark_daily_tables),
    description="Spark ETL for one day of events: cleaned, sessionized tables and daily aggregates.",
)

daily_training_job = define_asset_job(
    "daily_training_job",
    selection=AssetSelection.groups("features", "models"),
    description="Feast apply + materialization, then recommender and fraud training with promotion.",
)

recrawl_job = define_asset_job(
    "recrawl_job",
    selection=AssetSelection.groups("search"),
    description="Conditional re-crawl of the docs and re-index (alias switch, no downtime).",
)

daily_etl_schedule = build_schedule_from_partitioned_job(
    daily_etl_job, hour_of_day=1, minute_of_hour=0, default_status=DefaultScheduleStatus.STOPPED
)
daily_training_schedule = ScheduleDefinition(
    job=daily_training_job, cron_schedule="0 3 * * *", execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
)
weekly_recrawl_schedule = ScheduleDefinition(
    job=recrawl_job, cron_schedule="0 4 * * 0", execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
)


def event_dates(events_dir: Path) -> list[str]:
    """All dates that have at least one published event segment, over all topics."""
    dates = {p.name.split("=", 1)[1] for p in events_dir.glob("topic=*/date=*") if p.is_dir()}
    return sorted(d for d in dates if any((events_dir).glob(f"topic=*/date={d}/hour=*/part-*.jsonl")))


def new_complete_dates(
    dates: list[str], cursor: str | None, today: date, first_partition: str = "2026-10-27"
) -> list[str]:
    """Dates after ``cursor`` that are complete (strictly before ``today``) and partitioned."""
    return [
        d for d in dates
        if d >= first_partition and (cursor is None or d > cursor) and d < today.isoformat()
    ]


@sensor(
    job=daily_etl_job,
    minimum_interval_seconds=120,
    default_status=DefaultSensorStatus.STOPPED,
    description="Requests the daily ETL for each newly complete event date in the lake.",
)
def new_event_partitions_sensor(context: SensorEvaluationContext, event_log: EventLogResource):
    todo = new_complete_dates(event_dates(event_log.events_dir()), context.cursor, datetime.now(UTC).date())
    if not todo:
        return SkipReason(f"no new complete event dates after {context.cursor or 'the beginning'}")
    requests = [RunRequest(run_key=f"etl-{d}", partition_key=d) for d in todo]
    context.update_cursor(todo[-1])
    return requests


JOBS = [daily_etl_job, daily_training_job, recrawl_job]
SCHEDULES = [daily_etl_schedule, daily_training_schedule, weekly_recrawl_schedule]
SENSORS = [new_event_partitions_sensor]
