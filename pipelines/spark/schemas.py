"""Explicit Spark schemas for the raw JSONL lake, one per topic.

Schema inference would scan every file twice and silently widen types when a
producer misbehaves; an explicit schema is fast and makes a type drift show up
as nulls that the quality gates catch. The schemas are derived from the
pydantic event models in :mod:`suuupra.events`, so a new field added there is
picked up here without a second source of truth.
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from typing import TYPE_CHECKING, Any

from suuupra.events import EVENT_TYPES, TOPICS

if TYPE_CHECKING:
    from pyspark.sql.types import DataType, StructType

#: Raw field renamed on read: ``session_id`` in the lake is the client's id;
#: ``events_clean.session_id`` is our own 30-minute sessionization.
RENAMES = {"session_id": "client_session_id"}


def _spark_type(annotation: Any) -> DataType:
    from pyspark.sql import types as T

    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _spark_type(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _spark_type(args[0])
    if origin is typing.Literal:
        return _spark_type(type(typing.get_args(annotation)[0]))
    if origin is list:
        return T.ArrayType(_spark_type(typing.get_args(annotation)[0]))
    if annotation is bool:
        return T.BooleanType()
    if annotation is int:
        return T.LongType()
    if annotation is float:
        return T.DoubleType()
    if annotation is datetime:
        return T.StringType()  # parsed explicitly (ISO-8601 with Z) in the reader
    return T.StringType()


def topic_fields(topic: str) -> dict[str, DataType]:
    """Union of the fields of every event type of ``topic`` (first definition wins)."""
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}; known: {', '.join(TOPICS)}")
    fields: dict[str, DataType] = {}
    for cls in EVENT_TYPES.values():
        if cls.TOPIC != topic:
            continue
        for name, info in cls.model_fields.items():
            fields.setdefault(name, _spark_type(info.annotation))
    return fields


def topic_schema(topic: str) -> StructType:
    """Spark schema to read ``topic``'s JSONL files with (no inference)."""
    from pyspark.sql import types as T

    return T.StructType([T.StructField(n, t, True) for n, t in topic_fields(topic).items()])


def all_fields() -> dict[str, DataType]:
    """Union over all topics: the column set of ``events_clean`` (before renames)."""
    out: dict[str, DataType] = {}
    for topic in TOPICS:
        for name, dtype in topic_fields(topic).items():
            # duration_s is an int on lesson.published and a float on video.progress
            if name in out and out[name] != dtype and "Double" in repr(dtype):
                out[name] = dtype
            out.setdefault(name, dtype)
    return out
