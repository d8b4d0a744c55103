"""Kafka backend for the prod profile.

Events go to ``<prefix><topic>`` keyed by the event's partition key, so all
events of one learner stay ordered within a partition. The producer is created
lazily (no broker contact at construction) and can be injected for tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from suuupra.eventlog.base import validate_all
from suuupra.events import Event

ProducerFactory = Callable[[dict[str, Any]], Any]


def _default_factory(config: dict[str, Any]) -> Any:
    from kafka import KafkaProducer

    return KafkaProducer(**config)


class KafkaEventLog:
    def __init__(
        self,
        bootstrap_servers: str,
        topic_prefix: str = "suuupra.",
        producer_factory: ProducerFactory | None = None,
        flush_timeout_s: float = 10.0,
    ) -> None:
        self.config: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers.split(","),
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": 5,
            # A broker that cannot be reached fails the batch within the flush budget
            # (kafka-python would otherwise block up to 30 s bootstrapping, 60 s per send).
            "bootstrap_timeout_ms": int(flush_timeout_s * 1000),
            "max_block_ms": int(flush_timeout_s * 1000),
            "key_serializer": lambda k: k.encode("utf-8"),
            "value_serializer": lambda v: json.dumps(v, separators=(",", ":")).encode("utf-8"),
        }
        self.topic_prefix = topic_prefix
        self._factory = producer_factory or _default_factory
        self._producer: Any | None = None
        self.flush_timeout_s = flush_timeout_s

    def topic_name(self, topic: str) -> str:
        return f"{self.topic_prefix}{topic}"

    @property
    def producer(self) -> Any:
        if self._producer is None:
            self._producer = self._factory(self.config)
        return self._producer

    def append(self, events: Iterable[Event | Mapping[str, Any]]) -> int:
        batch = validate_all(events)
        futures = [
            self.producer.send(
                self.topic_name(e.topic),
                key=e.partition_key,
                value=e.to_record(),
                headers=[("event_type", e.event_type.encode()), ("schema_version", str(e.schema_version).encode())],
            )
            for e in batch
        ]
        self.producer.flush(timeout=self.flush_timeout_s)
        for fut in futures:
            fut.get(timeout=self.flush_timeout_s)
        return len(batch)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
            self._producer = None
