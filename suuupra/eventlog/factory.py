"""Pick the event-log backend from settings."""

from __future__ import annotations

from suuupra.eventlog.base import EventLog
from suuupra.settings import EventLogBackend, Settings


def open_event_log(settings: Settings) -> EventLog:
    """The event log the settings name: JSONL lake files locally, Kafka in prod."""
    if settings.event_log_backend is EventLogBackend.kafka:
        from suuupra.eventlog.kafka import KafkaEventLog

        return KafkaEventLog(settings.kafka_bootstrap_servers, settings.kafka_topic_prefix)
    from suuupra.eventlog.local import LocalEventLog

    return LocalEventLog(settings.events_dir)
