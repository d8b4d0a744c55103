"""Serving: reload the Ray Serve app when the registry's champion alias moves.

The sensor polls the MLflow registry (cheap: two alias lookups) and requests a run
of ``serving_reload_job`` when a champion version changes; the asset asks the
running app to load it and records champion vs served versions. Logic lives in
:mod:`serving.lifecycle`; both hand it the ``mlflow`` resource's settings (registry
URI, Serve address, service token) by value.
"""

from dagster import (
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    asset,
    define_asset_job,
    sensor,
)

from dagster_project.resources import MLflowResource


@asset(
    group_name="serving",
    owners=["team:serving"],
    kinds={"ray", "mlflow"},
    deps=["recommender_model", "fraud_model"],
    description="The model versions the Ray Serve app serves, reloaded to the registry's champions.",
)
def serving_champions(context: AssetExecutionContext, mlflow: MLflowResource) -> MaterializeResult:
    from serving.lifecycle import reload_if_moved

    report = reload_if_moved(mlflow.settings())
    if not report.reachable:
        context.log.warning("serving app not reachable; replicas will pick up the champion when started")
    elif report.reloaded:
        context.log.info("reloaded stale deployments: %s", report.stale)
    return MaterializeResult(
        metadata={
            "reachable": MetadataValue.bool(report.reachable),
            "reloaded": MetadataValue.bool(report.reloaded),
            "stale_before": MetadataValue.text(", ".join(report.stale) or "none"),
            "versions": MetadataValue.md(report.as_markdown()),
        }
    )


serving_reload_job = define_asset_job("serving_reload_job", selection=[serving_champions])


@sensor(job=serving_reload_job, minimum_interval_seconds=60, description="Champion alias moved -> reload serving")
def serving_champion_sensor(context: SensorEvaluationContext, mlflow: MLflowResource):
    from serving.lifecycle import champion_cursor, champion_versions

    versions = champion_versions(mlflow.settings())
    cursor = champion_cursor(versions)
    if cursor == context.cursor:
        return SkipReason(f"champions unchanged ({cursor})")
    context.update_cursor(cursor)
    if all(v is None for v in versions.values()):
        return SkipReason("no champion registered yet")
    return RunRequest(run_key=cursor)


ASSETS = [serving_champions]
JOBS = [serving_reload_job]
SENSORS = [serving_champion_sensor]
