"""Pipelines assets: Spark lake tables (group ``etl``), marts (group ``marts``), Flink stream features.

Thin wrappers: the work is in :mod:`pipelines.spark.etl`, :mod:`pipelines.flink`
and :mod:`pipelines.quality`. Daily tables share one ``multi_asset`` so one run
(and one SparkSession) covers a whole partition range (``BackfillPolicy.single_run``).
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    Config,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
    multi_asset,
)

from dagster_project.resources import FeastResource, FlinkResource, PlatformSettings, SparkResource

DAILY = DailyPartitionsDefinition(start_date="2026-10-27")
ETL_DAILY = ("events_clean", "learner_daily", "course_daily", "payments_labeled")
MART_DAILY = ("mart_active_users", "mart_funnel", "mart_revenue_by_course", "mart_revenue_by_instructor")
OWNERS = ["team:pipelines"]


def _preview(name: str, settings, limit: int = 5) -> str:
    """Markdown table of a few rows (no tabulate dependency)."""
    from pipelines.quality.gates import read_table_frame

    try:
        df = read_table_frame(name, settings).head(limit)
    except FileNotFoundError:
        return "_table not written yet_"
    cols = list(df.columns)[:10]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df[cols].iterrows():
        lines.append("| " + " | ".join(str(v)[:24] for v in row.tolist()) + " |")
    return "\n".join(lines)


def _dates(context: AssetExecutionContext, settings):
    from datetime import date

    from pipelines.spark.etl import parse_dates

    if context.has_partition_key or context.has_partition_key_range:
        r = context.partition_key_range
        start, end = date.fromisoformat(r.start), date.fromisoformat(r.end)
        return parse_dates(f"{start}..{end}", settings)
    return parse_dates(None, settings)


@multi_asset(
    specs=[
        AssetSpec(n, group_name="etl", owners=OWNERS, kinds={"spark", "parquet"}, deps=["demo_events"])
        if n == "events_clean"
        else AssetSpec(n, group_name="etl", owners=OWNERS, kinds={"spark", "parquet"}, deps=["events_clean"])
        for n in ETL_DAILY
    ]
    + [
        AssetSpec(n, group_name="marts", owners=OWNERS, kinds={"spark", "parquet"}, deps=["events_clean"])
        for n in MART_DAILY
    ],
    partitions_def=DAILY,
    backfill_policy=BackfillPolicy.single_run(),
    can_subset=False,
    description="Spark batch ETL over the raw event lake: cleaned/sessionized events, daily aggregates, "
    "payment labels and analyst marts, rewritten idempotently per date partition.",
)
def spark_daily_tables(context: AssetExecutionContext, spark: SparkResource):
    from pipelines.spark.etl import run_etl

    settings = spark.settings()  # run_etl opens its session from these (the Spark master among them)
    dates = _dates(context, settings)
    result = run_etl(settings, dates, tables=ETL_DAILY[1:] + MART_DAILY, report=context.log.info)
    for name in ETL_DAILY + MART_DAILY:
        yield MaterializeResult(
            asset_key=AssetKey(name),
            metadata={
                "rows": MetadataValue.int(result.rows.get(name, 0)),
                "seconds": MetadataValue.float(result.seconds.get(name, 0.0)),
                "dates": MetadataValue.text(f"{dates[0]}..{dates[-1]}"),
                "preview": MetadataValue.md(_preview(name, settings)),
            },
        )


def _snapshot(name: str, group: str, description: str):
    @asset(name=name, group_name=group, owners=OWNERS, kinds={"spark", "parquet"}, deps=["events_clean"],
           description=description)
    def _build(context: AssetExecutionContext, spark: SparkResource) -> MaterializeResult:
        from pipelines.spark.etl import parse_dates, run_etl

        settings = spark.settings()
        result = run_etl(settings, parse_dates(None, settings), tables=[name], rebuild_clean=False,
                         report=context.log.info)
        return MaterializeResult(metadata={
            "rows": MetadataValue.int(result.rows.get(name, 0)),
            "preview": MetadataValue.md(_preview(name, settings)),
        })

    return _build


interactions = _snapshot("interactions", "etl", "Learner x course implicit-feedback weights (cumulative).")
mart_retention_cohorts = _snapshot("mart_retention_cohorts", "marts", "Weekly signup cohorts x weeks retained.")


class StreamFeaturesConfig(Config):
    push: bool = True
    jobs: list[str] = ["velocity", "engagement"]


def _feast_pusher(settings):
    """The feature store's push sink, handed to the publisher (pipelines do not import features)."""
    from features.push import feast_pusher

    return feast_pusher(settings)


@asset(
    group_name="etl",
    owners=OWNERS,
    kinds={"flink", "parquet"},
    deps=["demo_events", "feast_registry"],
    description="Bounded PyFlink run of the stream jobs over the lake (velocity, course engagement, trending), "
    "published to lake stream tables and pushed to the Feast push sources.",
)
def stream_features(context: AssetExecutionContext, config: StreamFeaturesConfig,
                    flink: FlinkResource, feast: FeastResource) -> MaterializeResult:
    from pipelines.flink.jobs import JOBS
    from pipelines.flink.publish import publish, reset_outputs

    settings = flink.settings(feast)  # the jobs and the push to Feast share one configuration
    names = [n for j in config.jobs for n in JOBS[j]]
    seconds = {}
    for job in config.jobs:
        seconds[job] = flink.run_job(job, settings=settings).seconds
    reset_outputs(settings, names)
    pushed = config.push
    try:
        rows = publish(settings, names=names, pusher=_feast_pusher(settings) if config.push else None)
    except Exception as exc:  # noqa: BLE001 - feature store not applied yet: keep the lake output
        context.log.warning("push to Feast failed (%s); writing lake tables only", exc)
        reset_outputs(settings, names)
        rows, pushed = publish(settings, names=names), False
    md = "| table | rows |\n|---|---:|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows.items())
    return MaterializeResult(metadata={
        "rows": MetadataValue.int(sum(rows.values())),
        "tables": MetadataValue.md(md),
        "pushed_to_feast": MetadataValue.bool(pushed),
        "job_seconds": MetadataValue.json(seconds),
    })


def _quality_check(name: str):
    @asset_check(asset=AssetKey(name), name=f"{name}_quality", blocking=False,
                 description=f"Schema, row count, null rates, key uniqueness and freshness of {name}.")
    def _check(platform: PlatformSettings) -> AssetCheckResult:
        from pipelines.quality import check_table

        results = check_table(name, platform.get())
        failed = [r for r in results if not r.passed]
        return AssetCheckResult(
            passed=not failed,
            severity=AssetCheckSeverity.ERROR,
            description="; ".join(f"{r.check}: {r.detail}" for r in failed) or "all checks passed",
            metadata={r.check: MetadataValue.text(("ok: " if r.passed else "FAILED: ") + r.detail) for r in results},
        )

    return _check


ASSETS = [spark_daily_tables, interactions, mart_retention_cohorts, stream_features]
ASSET_CHECKS = [
    _quality_check(n)
    for n in ETL_DAILY + MART_DAILY + ("interactions", "mart_retention_cohorts")
]
