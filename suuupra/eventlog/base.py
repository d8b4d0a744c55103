"""The event-log interface shared by the local and Kafka backends."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from suuupra.events import Event, parse_event


@runtime_checkable
class EventLog(Protocol):
    """Append-only log of validated domain events."""

    def append(self, events: Iterable[Event | Mapping[str, Any]]) -> int:
        """Validate and durably append events; returns how many were written.

        All events are validated before any is written, so a batch with one bad
        event writes nothing.
        """
        ...

    def close(self) -> None: ...


def validate_all(events: Iterable[Event | Mapping[str, Any]]) -> list[Event]:
    """Validate a batch up-front so that a schema violation writes nothing."""
    return [e if isinstance(e, Event) else parse_event(dict(e)) for e in events]
