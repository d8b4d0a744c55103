"""The stream tables' contract: every column and its type, written once.

The Flink jobs write these tables and the feature store reads them. Both sides
used to spell the columns out in their own dialect (Flink SQL types in the sink
DDL, Arrow types in the Feast sources), so a column added on one side silently
went missing on the other. Now each side derives its view from this module:
``pipelines.flink.sql`` renders the sink columns as Flink SQL types and
``features.data_sources`` renders the feature-store columns as Arrow types.

Types are engine-neutral on purpose: this is the kernel, which imports no engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ColumnType(StrEnum):
    """Logical type of a stream-table column (each engine maps it to its own type)."""

    string = "string"
    int64 = "int64"
    float64 = "float64"
    boolean = "boolean"
    instant = "instant"  # a point in time (UTC); what feature timestamps are
    wall_time = "wall_time"  # a timestamp without time zone (Flink window bounds, in UTC)


@dataclass(frozen=True)
class Column:
    """One column; ``feature_store=False`` marks a column only the lake table carries.

    Such columns (the Flink ``event_id`` used for lineage and dedup checks, window
    bounds) are written by Flink but are not part of what the feature store reads
    or accepts in a push.
    """

    name: str
    type: ColumnType
    feature_store: bool = True


@dataclass(frozen=True)
class StreamTable:
    """A table written by a stream job under ``<tables_dir>/stream/<name>/``.

    ``entity_key`` names the join key of a feature table (one latest value per
    entity, pushed to the online store as it is published); ``None`` for a table
    that only lives in the lake.
    """

    name: str
    columns: tuple[Column, ...]
    entity_key: str | None = None

    @property
    def is_feature_table(self) -> bool:
        return self.entity_key is not None

    def types(self) -> dict[str, ColumnType]:
        """Every column in table order (what the Flink sink writes)."""
        return {c.name: c.type for c in self.columns}

    def feature_store_types(self) -> dict[str, ColumnType]:
        """The columns the feature store reads, in table order."""
        return {c.name: c.type for c in self.columns if c.feature_store}


_S, _I, _F, _TS, _WALL = ColumnType.string, ColumnType.int64, ColumnType.float64, ColumnType.instant, ColumnType.wall_time

#: Velocity ranges: name (used in column names) -> seconds.
VELOCITY_WINDOWS: dict[str, int] = {"10m": 600, "1h": 3600, "24h": 86400}
#: Velocity entity -> its key column (in the payment events and in the output table).
VELOCITY_ENTITIES: dict[str, str] = {"learner": "learner_id", "device": "device_id", "ip": "ip"}


def velocity_table(entity: str) -> StreamTable:
    """``<entity>_payment_velocity``: payment counts and amounts per range, one row per payment."""
    key = VELOCITY_ENTITIES[entity]
    cols = [Column(key, _S), Column("event_timestamp", _TS), Column("event_id", _S, feature_store=False)]
    for w in VELOCITY_WINDOWS:
        cols += [Column(f"payments_{w}", _I), Column(f"amount_{w}", _F)]
    if entity == "learner":
        cols += [Column("distinct_devices_24h", _I), Column("distinct_countries_24h", _I)]
    return StreamTable(f"{entity}_payment_velocity", tuple(cols), entity_key=key)


COURSE_ENGAGEMENT = StreamTable(
    "course_engagement",
    (
        Column("course_id", _S),
        Column("window_start", _WALL, feature_store=False),
        Column("window_end", _WALL, feature_store=False),
        Column("event_timestamp", _TS),
        Column("views_5m", _I),
        Column("watch_minutes_5m", _F),
        Column("completions_5m", _I),
        Column("learners_5m", _I),
        Column("enrollments_5m", _I, feature_store=False),
        Column("enrollments_total", _I),
        Column("views_total", _I),
    ),
    entity_key="course_id",
)

TRENDING_COURSES = StreamTable(
    "trending_courses",
    (
        Column("window_start", _WALL),
        Column("window_end", _WALL),
        Column("rank", _I),
        Column("course_id", _S),
        Column("engagement_score", _F),
    ),
)

#: Every stream table, by name, in the order the jobs declare their sinks.
STREAM_TABLES: dict[str, StreamTable] = {
    t.name: t for t in (*(velocity_table(e) for e in VELOCITY_ENTITIES), COURSE_ENGAGEMENT, TRENDING_COURSES)
}
#: Names of the stream tables that feed the feature store (pushed online when published).
FEATURE_TABLES: tuple[str, ...] = tuple(n for n, t in STREAM_TABLES.items() if t.is_feature_table)
