"""The event log: where every domain event lands (local lake files or Kafka)."""

from suuupra.eventlog.base import EventLog
from suuupra.eventlog.factory import open_event_log
from suuupra.eventlog.local import LocalEventLog

__all__ = ["EventLog", "LocalEventLog", "open_event_log"]
