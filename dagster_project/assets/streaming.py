"""Streaming assets: a health snapshot of video transcoding (thin wrapper over apps_api.streaming.jobs)."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from dagster_project.resources import DatabaseResource


def _summary(database: DatabaseResource) -> dict:
    from apps_api.streaming.config import get_streaming_config
    from apps_api.streaming.jobs import job_summary

    db = database.database()
    try:
        return job_summary(db, get_streaming_config().stale_running_s)
    finally:
        db.dispose()


@asset(
    group_name="streaming",
    owners=["team:streaming"],
    kinds={"python", "sql"},
    deps=["api_database"],
    description="Snapshot of video transcode jobs (queued/running/done/failed), crashed jobs and "
    "failure reasons, from the API database.",
)
def streaming_transcode_health(database: DatabaseResource) -> MaterializeResult:
    summary = _summary(database)
    jobs = summary["jobs"]
    table = "| status | jobs |\n|---|---:|\n" + "\n".join(f"| {k} | {v} |" for k, v in jobs.items())
    failures = "\n".join(f"- `{f['job_id']}`: {f['reason']}" for f in summary["recent_failures"]) or "none"
    return MaterializeResult(metadata={
        "rows": MetadataValue.int(sum(jobs.values())),
        "failed": MetadataValue.int(jobs["failed"]),
        "stale_running": MetadataValue.int(len(summary["stale_running"])),
        "ready_video_hours": MetadataValue.float(summary["ready_hours"]),
        "jobs_by_status": MetadataValue.md(table),
        "recent_failures": MetadataValue.md(failures),
    })


@asset_check(asset=streaming_transcode_health, description="No transcode job is stuck in 'running' "
             "without a heartbeat (a crashed worker); retry with `suuupra streaming retry <job>`.")
def no_crashed_transcode_jobs(database: DatabaseResource) -> AssetCheckResult:
    stale = _summary(database)["stale_running"]
    return AssetCheckResult(passed=not stale, severity=AssetCheckSeverity.WARN,
                            metadata={"stale_jobs": MetadataValue.json(stale)})


ASSETS = [streaming_transcode_health]
ASSET_CHECKS = [no_crashed_transcode_jobs]
