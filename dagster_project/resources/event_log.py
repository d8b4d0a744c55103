"""The event log: where domain events land (``suuupra.eventlog``)."""

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from dagster_project.resources.base import EngineResource

if TYPE_CHECKING:
    from suuupra.eventlog import EventLog, LocalEventLog


class EventLogResource(EngineResource):
    """Local JSONL segments in the lake, or Kafka topics.

    :meth:`writer` is :func:`suuupra.eventlog.open_event_log` for the configured
    backend. :meth:`reader` reads the lake copy (``<data_dir>/lake/events``) that
    the batch ETL and the partition sensor work from, in both profiles.
    """

    SETTINGS_FIELDS: ClassVar[dict[str, str]] = {
        "backend": "event_log_backend",
        "kafka_bootstrap_servers": "kafka_bootstrap_servers",
        "topic_prefix": "kafka_topic_prefix",
    }

    backend: str = Field(default="", description="`local` (lake JSONL) or `kafka`; empty: by profile.")
    kafka_bootstrap_servers: str = Field(default="", description="Kafka brokers (`host:9092,...`); empty: "
                                         "the settings default.")
    topic_prefix: str = Field(default="", description="Prefix of the event topics; empty: `suuupra.`.")

    def events_dir(self) -> Path:
        return self.settings().events_dir

    def writer(self) -> "EventLog":
        from suuupra.eventlog import open_event_log

        return open_event_log(self.settings())

    def reader(self) -> "LocalEventLog":
        from suuupra.eventlog import LocalEventLog

        return LocalEventLog(self.events_dir())
