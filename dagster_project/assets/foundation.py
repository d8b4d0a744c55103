"""Foundation assets: the demo world written as raw events into the lake."""


from datetime import date

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset

from dagster_project.resources import EventLogResource


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
    context: AssetExecutionContext, config: DemoEventsConfig, event_log: EventLogResource
) -> MaterializeResult:
    from suuupra.demo import WorldConfig, write_demo_world

    # The demo world is the lake's raw history: written as segments under the event
    # log's lake directory whatever the live backend is (Kafka in prod).
    events_dir = event_log.events_dir()
    summary = write_demo_world(
        events_dir,
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
            "path": MetadataValue.path(str(events_dir)),
        }
    )


ASSETS = [demo_events]
