"""Local lake backend: append-only JSONL segments partitioned by topic/date/hour.

Layout: ``<root>/topic=<t>/date=YYYY-MM-DD/hour=HH/part-<ts>-<uuid>.jsonl``.
Hive-style directory names let Spark and Flink discover partition columns.

Atomicity: a segment is written under a dot-prefixed temporary name, fsynced,
then renamed into place. Readers (ours, Spark and Flink all skip dot- and
underscore-prefixed files) therefore only ever see complete segments, never a
torn line. Segments are immutable once published, which is also what Flink's
continuous directory monitoring expects.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from suuupra.eventlog.base import validate_all
from suuupra.events import Event


def partition_dir(root: Path, topic: str, occurred_at: datetime) -> Path:
    ts = occurred_at.astimezone(UTC)
    return root / f"topic={topic}" / f"date={ts:%Y-%m-%d}" / f"hour={ts:%H}"


class _PartitionCache:
    """Memoizes partition paths per (topic, hour): path building dominated append cost."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[tuple[str, int, int, int, int], Path] = {}

    def __call__(self, topic: str, at: datetime) -> Path:
        key = (topic, at.year, at.month, at.day, at.hour)  # events are normalised to UTC
        path = self._cache.get(key)
        if path is None:
            if len(self._cache) > 4096:
                self._cache.clear()
            path = self._cache[key] = partition_dir(self.root, topic, at)
        return path


def write_segment_atomically(directory: Path, lines: list[str]) -> Path:
    """Publish ``lines`` as one new immutable segment, all-or-nothing."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"part-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:12]}.jsonl"
    tmp = directory / f".{name}.inprogress"
    final = directory / name
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines))
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return final


class LocalEventLog:
    """Event log over the on-disk lake.

    ``append`` publishes one segment per touched partition. For high-volume
    producers use :meth:`writer`, which buffers and publishes segments of
    ``segment_events`` events so files stay a sensible size.
    """

    def __init__(self, root: Path, segment_events: int = 50_000) -> None:
        self.root = Path(root)
        self.segment_events = segment_events
        self.partition_for = _PartitionCache(self.root)

    # ------------------------------------------------------------- writing
    def append(self, events: Iterable[Event | Mapping[str, Any]]) -> int:
        batch = validate_all(events)
        grouped: dict[Path, list[str]] = defaultdict(list)
        for event in batch:
            grouped[self.partition_for(event.topic, event.occurred_at)].append(
                json.dumps(event.to_record(), separators=(",", ":"))
            )
        for directory, lines in grouped.items():
            write_segment_atomically(directory, lines)
        return len(batch)

    def writer(self) -> BufferedEventWriter:
        return BufferedEventWriter(self)

    def close(self) -> None:  # nothing held open between appends
        return None

    # ------------------------------------------------------------- reading
    def segments(self, topic: str | None = None) -> list[Path]:
        pattern = f"topic={topic}/date=*/hour=*/part-*.jsonl" if topic else "topic=*/date=*/hour=*/part-*.jsonl"
        return sorted(self.root.glob(pattern))

    def read(self, topic: str | None = None) -> Iterator[dict[str, Any]]:
        """Yield raw records (dicts) of a topic, segment by segment."""
        for segment in self.segments(topic):
            with open(segment, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        yield json.loads(line)

    def topics(self) -> list[str]:
        return sorted(p.name.split("=", 1)[1] for p in self.root.glob("topic=*") if p.is_dir())

    def dates(self, topic: str | None = None) -> list[str]:
        pattern = f"topic={topic}/date=*" if topic else "topic=*/date=*"
        return sorted({p.name.split("=", 1)[1] for p in self.root.glob(pattern) if p.is_dir()})


class BufferedEventWriter:
    """Buffers validated events per partition and publishes full segments.

    Memory is bounded by ``segment_events`` per open partition; a producer that
    walks time forward (like the demo generator) holds only a few partitions.
    """

    def __init__(self, log: LocalEventLog) -> None:
        self._log = log
        self._buffers: dict[Path, list[str]] = defaultdict(list)
        self.written = 0

    def write(self, event: Event) -> None:
        directory = self._log.partition_for(event.topic, event.occurred_at)
        buf = self._buffers[directory]
        buf.append(json.dumps(event.to_record(), separators=(",", ":")))
        if len(buf) >= self._log.segment_events:
            self._flush_one(directory)

    def write_many(self, events: Iterable[Event | Mapping[str, Any]]) -> None:
        for event in validate_all(events):
            self.write(event)

    def flush_older_than(self, keep: int = 4) -> None:
        """Publish all but the ``keep`` most recently touched partitions."""
        if len(self._buffers) > keep:
            for directory in list(self._buffers)[:-keep]:
                self._flush_one(directory)

    def _flush_one(self, directory: Path) -> None:
        lines = self._buffers.pop(directory, [])
        if lines:
            write_segment_atomically(directory, lines)
            self.written += len(lines)

    def flush(self) -> None:
        for directory in list(self._buffers):
            self._flush_one(directory)

    def __enter__(self) -> BufferedEventWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        # Publish what was fully produced even on error: every buffered event is
        # already validated, and segments are atomic.
        self.flush()
