"""Stream ingestion: fresh feature rows published by the Flink jobs are pushed through here.

``push_rows`` validates and coerces the frame to the push source's declared
schema (Flink emits ints as longs or doubles depending on the aggregate), then
writes it to the online store through Feast (``FeatureStore.push``) and to the
offline store as an atomic new Parquet part file (microsecond UTC timestamps,
readable by both dask and Spark) in the stream table's lake directory — in both
profiles, since both offline stores read that directory. Feast's own offline
push cannot be used: the file store rewrites a single file (impossible for a
directory table, O(table) per push) and the Spark store needs a SparkSession in
the pushing process and the exact column order of the existing table.

The Flink publisher does not import this module (pipelines sit below features):
its edge (the ``suuupra etl flink`` command, the Dagster asset) hands it
:func:`feast_pusher` as the sink for the feature tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.data_sources import PUSH_SOURCES, TABLE_SCHEMAS
from suuupra.lake import table_path
from suuupra.settings import Settings

PushTarget = Literal["online", "offline", "online_and_offline"]


class PushError(ValueError):
    """The pushed frame does not match the push source (message names the fix)."""


def coerce_to_schema(push_source_name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Columns of ``push_source_name``'s schema, in order, cast to the declared types."""
    if push_source_name not in PUSH_SOURCES:
        raise PushError(f"unknown push source {push_source_name!r}; expected one of {sorted(PUSH_SOURCES)}")
    schema = TABLE_SCHEMAS[PUSH_SOURCES[push_source_name]]
    missing = [f.name for f in schema if f.name not in df.columns]
    if missing:
        raise PushError(f"{push_source_name}: missing columns {missing}; required: {schema.names}")
    out = pd.DataFrame(index=df.index)
    for f in schema:
        col = df[f.name]
        if pa.types.is_timestamp(f.type):
            out[f.name] = pd.to_datetime(col, utc=True)
        elif pa.types.is_integer(f.type):
            num = pd.to_numeric(col, errors="coerce")
            if num.isna().any():
                raise PushError(f"{push_source_name}: column {f.name!r} has null/non-numeric values")
            out[f.name] = num.round().astype("int64")
        elif pa.types.is_floating(f.type):
            out[f.name] = pd.to_numeric(col, errors="coerce").astype("float64")
        else:
            if col.isna().any():
                raise PushError(f"{push_source_name}: key/string column {f.name!r} has nulls")
            out[f.name] = col.astype(str)
    return out.reset_index(drop=True)


def _append_offline(push_source_name: str, df: pd.DataFrame, settings: Settings) -> None:
    table = PUSH_SOURCES[push_source_name]
    directory = table_path(table, settings)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"part-feast-push-{uuid.uuid4().hex}.parquet"
    tmp = directory / f".{name}.inprogress"
    arrow = pa.Table.from_pandas(df, schema=TABLE_SCHEMAS[table], preserve_index=False, safe=False)  # ns -> us
    pq.write_table(arrow, tmp)
    tmp.rename(directory / name)


def push_rows(
    push_source_name: str,
    df: pd.DataFrame,
    settings: Settings,
    *,
    to: PushTarget = "online_and_offline",
) -> int:
    """Push ``df`` to ``push_source_name`` (online and/or offline); returns the row count.

    Pass ``to="online"`` when the caller already writes the same rows to the lake
    table itself (otherwise the offline copy is written here).
    """
    from feast.data_source import PushMode

    from features.store import get_store

    if to not in ("online", "offline", "online_and_offline"):
        raise PushError(f"to={to!r}: use 'online', 'offline' or 'online_and_offline'")
    frame = coerce_to_schema(push_source_name, df)
    if frame.empty:
        return 0
    if to in ("offline", "online_and_offline"):
        _append_offline(push_source_name, frame, settings)  # first: the lake is the source of truth
    if to in ("online", "online_and_offline"):
        get_store(settings).push(push_source_name, frame, to=PushMode.ONLINE)
    return len(frame)


def feast_pusher(settings: Settings) -> Callable[[str, pd.DataFrame], int]:
    """A push sink for the Flink publisher: ``push_rows`` online and offline (into the lake stream table)."""

    def push(push_source_name: str, frame: pd.DataFrame) -> int:
        return push_rows(push_source_name, frame, settings, to="online_and_offline")

    return push
