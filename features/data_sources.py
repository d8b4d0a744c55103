"""Offline data sources (the Spark/Flink lake tables) and the Flink push sources.

Paths always come from :func:`suuupra.lake.table_path`, i.e. from settings,
so a Feast repo never depends on the working directory. The ``local`` profile
reads the Parquet directories with Feast's file (dask) offline store; ``prod``
reads the same directories through Spark (``SparkSource``), so moving from a
laptop to the cluster is a profile switch, not a definition change.

``TABLE_SCHEMAS`` is the part of the shared data contract Feast reads: the
source of feature dtypes, of the seed files that make stream twins queryable
before Flink has written anything, and of the coercion of Flink pushes to the
declared types. The batch tables are spelled out here (checked against the
Spark output: money columns are integer minor units); the stream tables are
derived from :mod:`suuupra.stream_tables`, the contract the Flink sinks are
generated from as well.
"""

from __future__ import annotations

import pyarrow as pa
from feast import FileSource, PushSource
from feast.data_format import ParquetFormat
from feast.data_source import DataSource

from suuupra.lake import table_path
from suuupra.settings import Settings
from suuupra.stream_tables import FEATURE_TABLES, ColumnType
from suuupra.stream_tables import STREAM_TABLES as STREAM_CONTRACT

_TS = pa.timestamp("us", tz="UTC")

_BATCH_SCHEMAS: dict[str, pa.Schema] = {
    "interactions": pa.schema(
        [
            ("learner_id", pa.string()),
            ("course_id", pa.string()),
            ("event_timestamp", _TS),
            ("weight", pa.float64()),
            ("views", pa.int64()),
            ("watch_seconds", pa.float64()),
            ("completions", pa.int64()),
            ("enrolled", pa.bool_()),
        ]
    ),
    "learner_daily": pa.schema(
        [
            ("learner_id", pa.string()),
            ("event_timestamp", _TS),
            ("views", pa.int64()),
            ("watch_minutes", pa.float64()),
            ("completions", pa.int64()),
            ("enrollments", pa.int64()),
            ("payments", pa.int64()),
            ("amount_minor_sum", pa.int64()),
            ("views_7d", pa.int64()),
            ("watch_minutes_7d", pa.float64()),
            ("enrollments_30d", pa.int64()),
            ("avg_payment_amount_30d", pa.float64()),
            ("payments_30d", pa.int64()),
        ]
    ),
    "course_daily": pa.schema(
        [
            ("course_id", pa.string()),
            ("event_timestamp", _TS),
            ("views", pa.int64()),
            ("watch_minutes", pa.float64()),
            ("completions", pa.int64()),
            ("enrollments", pa.int64()),
            ("learners", pa.int64()),
            ("revenue_minor", pa.int64()),
            ("views_7d", pa.int64()),
            ("enrollments_7d", pa.int64()),
            ("completion_rate_30d", pa.float64()),
            ("price_minor", pa.int64()),
            ("category", pa.string()),
            ("published", pa.bool_()),
        ]
    ),
    "payments_labeled": pa.schema(
        [
            ("payment_id", pa.string()),
            ("learner_id", pa.string()),
            ("event_timestamp", _TS),
            ("occurred_at", _TS),
            ("amount_minor", pa.int64()),
            ("device_id", pa.string()),
            ("ip", pa.string()),
            ("country", pa.string()),
        ]
    ),
}

#: contract type -> Arrow type the feature store reads and writes
ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.string: pa.string(),
    ColumnType.int64: pa.int64(),
    ColumnType.float64: pa.float64(),
    ColumnType.boolean: pa.bool_(),
    ColumnType.instant: _TS,
}


def stream_schema(table: str) -> pa.Schema:
    """Arrow schema of the feature-store columns of stream table ``table`` (from the contract)."""
    return pa.schema([(n, ARROW_TYPES[t]) for n, t in STREAM_CONTRACT[table].feature_store_types().items()])


BATCH_TABLES: tuple[str, ...] = tuple(_BATCH_SCHEMAS)
#: Stream tables the feature store reads: the contract's feature tables (Flink writes them).
STREAM_TABLES: tuple[str, ...] = FEATURE_TABLES

#: Columns Feast reads from each lake table (extra columns in the table are fine).
TABLE_SCHEMAS: dict[str, pa.Schema] = {**_BATCH_SCHEMAS, **{t: stream_schema(t) for t in STREAM_TABLES}}

#: Push source name (shared contract with the Flink jobs) -> lake stream table backing it.
PUSH_SOURCES: dict[str, str] = {f"{t}_push": t for t in STREAM_TABLES}

#: ``payments_labeled`` columns renamed so the "last payment" view does not shadow
#: request-time fields (the payment being scored also has an amount and a device).
PAYMENTS_FIELD_MAPPING: dict[str, str] = {
    "amount_minor": "last_amount_minor",
    "occurred_at": "last_payment_at",
    "device_id": "last_device_id",
    "country": "last_country",
}


def _source(table: str, settings: Settings, *, field_mapping: dict[str, str] | None = None) -> DataSource:
    path = str(table_path(table, settings))
    desc = f"Lake table `{table}` (Parquet, written by the pipelines area)."
    from features.store import offline_kind

    if offline_kind(settings) == "spark":
        from feast.infra.offline_stores.contrib.spark_offline_store.spark_source import SparkSource

        return SparkSource(
            name=f"{table}_source",
            path=path,
            file_format="parquet",
            timestamp_field="event_timestamp",
            field_mapping=field_mapping,
            description=desc,
            owner="team:pipelines",
        )
    return FileSource(
        name=f"{table}_source",
        path=path,
        file_format=ParquetFormat(),
        timestamp_field="event_timestamp",
        field_mapping=field_mapping,
        description=desc,
        owner="team:pipelines",
    )


def build_sources(settings: Settings) -> dict[str, DataSource]:
    """All Feast data sources for ``settings``: batch tables, stream tables and push sources.

    Keys are the lake table names, plus ``<table>_push`` for the push sources.
    """
    sources: dict[str, DataSource] = {}
    for table in BATCH_TABLES + STREAM_TABLES:
        mapping = PAYMENTS_FIELD_MAPPING if table == "payments_labeled" else None
        sources[table] = _source(table, settings, field_mapping=mapping)
    for push_name, table in PUSH_SOURCES.items():
        sources[push_name] = PushSource(
            name=push_name,
            batch_source=sources[table],
            description=f"Fresh rows pushed by the Flink job writing `{table}`.",
            owner="team:pipelines",
        )
    return sources
