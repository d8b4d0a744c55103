"""Foundation assets: the demo world written as raw events into the lake."""


from datetime import date

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset

from dagster_project.resources import PlatformSettings


class DemoEventsConfig(Config):
    scale: int = 1
    seed: int = 42
    start: str = "2026-10-27"
    days: int = 28


@asset(
    group_name="raw_events",
    owners=["team:platform"],
    kinds={"python", "jsonl"},
    description="Deterministic synthetic activity (learners, courses, engagement, commerce, fraud) "
    "written as validated events into the lake.",
)
def demo_events(
    context: AssetExecutionContext, config: DemoEventsConfig, platform: PlatformSettings
) -> MaterializeResult:
    from suuupra.demo import WorldConfig, write_demo_world

    settings = platform.get()
    summary = write_demo_world(
        settings.events_dir,
        WorldConfig(scale=config.scale, seed=config.seed, start=date.fromisoformat(config.start), days=config.days),
        progress=False,
    )
    context.log.info("wrote %s events (%s fraud attempts)", summary.events, summary.fraud_payments)
    table = "| event type | count |\n|---|---:|\n" + "\n".join(
        f"| {k} | {v} |" for k, v in summary.by_type.items()
    )
    return MaterializeResult(
        metadata={
            "rows": MetadataValue.int(summary.events),
            "learners": MetadataValue.int(summary.learners),
            "courses": MetadataValue.int(summary.courses),
            "fraud_rate": MetadataValue.float(round(summary.fraud_rate, 5)),
            "events_by_type": MetadataValue.md(table),
            "path": MetadataValue.path(str(settings.events_dir)),
        }
    )


ASSETS = [demo_events]
