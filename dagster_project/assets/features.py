"""Feature-store assets: ``feast apply`` and incremental materialization into the online store.

Thin wrappers over :mod:`features.apply` and :mod:`features.materialize`; all
Feast imports happen inside the asset bodies so loading definitions stays fast.
The online-store asset depends on the Spark tables it reads, so a pipeline run
re-materializes the new day of features; an hourly schedule also catches up
anything the stream twins' lake tables gained in between.
"""

from dagster import (
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from dagster_project.resources import FeastResource

SOURCE_TABLES = ["interactions", "learner_daily", "course_daily", "payments_labeled"]


@asset(
    group_name="features",
    owners=["team:features"],
    kinds={"feast", "python"},
    description="Feast registry: entities, sources, feature views (batch + stream twins), "
    "on-demand views and the versioned feature services (recommender_v1, fraud_v1, tutor_context_v1).",
)
def feast_registry(context: AssetExecutionContext, feast: FeastResource) -> MaterializeResult:
    from features.apply import apply_repo

    settings = feast.settings()
    summary = apply_repo(settings)
    context.log.info("applied Feast project %s", summary.project)
    table = "| feature service |\n|---|\n" + "\n".join(f"| {s} |" for s in summary.feature_services)
    return MaterializeResult(
        metadata={
            "project": MetadataValue.text(summary.project),
            "profile": MetadataValue.text(settings.profile.value),
            "feature_views": MetadataValue.int(len(summary.feature_views)),
            "on_demand_feature_views": MetadataValue.int(len(summary.on_demand_feature_views)),
            "feature_services": MetadataValue.md(table),
            "seeded_stream_tables": MetadataValue.text(", ".join(summary.seeded_tables) or "-"),
        }
    )


@asset(
    group_name="features",
    owners=["team:features"],
    kinds={"feast", "sqlite", "redis"},
    deps=[feast_registry, *SOURCE_TABLES],
    description="Online store loaded incrementally from the lake tables (materialize_incremental).",
)
def feast_online_store(context: AssetExecutionContext, feast: FeastResource) -> MaterializeResult:
    from features.materialize import materialize_incremental
    from features.online import get_online_features

    settings = feast.settings()
    summary = materialize_incremental(settings)
    for name, why in summary.skipped.items():
        context.log.warning("skipped %s: %s", name, why)
    rows = "\n".join(f"| {v} | materialized |" for v in summary.materialized)
    rows += "".join(f"\n| {v} | skipped: {why} |" for v, why in summary.skipped.items())
    probe = get_online_features("recommender_v1", [{"learner_id": "probe", "course_id": "probe"}], settings,
                                budget_ms=5_000)
    return MaterializeResult(
        metadata={
            "end": MetadataValue.text(summary.end.isoformat()),
            "materialized_views": MetadataValue.int(len(summary.materialized)),
            "skipped_views": MetadataValue.int(len(summary.skipped)),
            "views": MetadataValue.md("| view | status |\n|---|---|\n" + rows),
            "online_probe_latency_ms": MetadataValue.float(round(probe.latency_ms, 2)),
            "online_probe_ok": MetadataValue.bool(probe.ok),
        }
    )


feast_materialize_job = define_asset_job("feast_materialize_job", selection=[feast_online_store])
feast_materialize_hourly = ScheduleDefinition(
    name="feast_materialize_hourly", job=feast_materialize_job, cron_schedule="15 * * * *"
)

ASSETS = [feast_registry, feast_online_store]
JOBS = [feast_materialize_job]
SCHEDULES = [feast_materialize_hourly]
