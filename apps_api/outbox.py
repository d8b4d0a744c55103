"""Transactional outbox and its relay to the event log.

Domain code calls :func:`emit` with the same session that changes state, so the
event row commits (or rolls back) atomically with the change. The relay
(:func:`relay_once`) publishes unpublished rows in id order and marks them
published afterwards: a crash between the two re-publishes the batch, so
delivery is at-least-once and consumers drop duplicates by ``event_id``
(:class:`EventDeduplicator`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from apps_api.db import Database, utcnow
from apps_api.models import OutboxEvent
from suuupra.eventlog.base import EventLog
from suuupra.events import Event, make_event

log = logging.getLogger("apps_api.outbox")
PRODUCER = "apps_api"


def emit(session: Session, event_type: str, **fields: Any) -> Event:
    """Validate an event now (bad events fail the transaction) and stage it in the outbox."""
    event = make_event(event_type, producer=PRODUCER, **fields)
    session.add(OutboxEvent(event_id=event.event_id, event_type=event.event_type, topic=event.topic,
                            payload=event.to_record()))
    return event


def relay_once(db: Database, event_log: EventLog, batch_size: int = 500) -> int:
    """Publish one batch of pending outbox rows; returns how many were published.

    PostgreSQL relays lock their batch with ``FOR UPDATE SKIP LOCKED`` so several
    relays can run side by side; SQLite serializes writers anyway.
    """
    with db.begin() as session:
        stmt = (select(OutboxEvent).where(OutboxEvent.published_at.is_(None))
                .order_by(OutboxEvent.id).limit(batch_size))
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(session.scalars(stmt))
        if not rows:
            return 0
        session.execute(update(OutboxEvent).where(OutboxEvent.id.in_([r.id for r in rows]))
                        .values(attempts=OutboxEvent.attempts + 1))
        event_log.append([r.payload for r in rows])  # durable before we mark (at-least-once)
        session.execute(update(OutboxEvent).where(OutboxEvent.id.in_([r.id for r in rows]))
                        .values(published_at=utcnow()))
        return len(rows)


def relay_all(db: Database, event_log: EventLog, batch_size: int = 500) -> int:
    total = 0
    while n := relay_once(db, event_log, batch_size):
        total += n
    return total


class EventDeduplicator:
    """Consumer-side dedup by event id (at-least-once in, effectively-once out).

    Keeps the set of seen ids; a real consumer persists it (or a bounded window)
    next to its own state so that the dedup and the effect commit together.
    """

    def __init__(self, seen: Iterable[str] = ()) -> None:
        self.seen: set[str] = set(seen)
        self.duplicates = 0

    def filter(self, records: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        for record in records:
            event_id = str(record["event_id"])
            if event_id in self.seen:
                self.duplicates += 1
                continue
            self.seen.add(event_id)
            yield record
