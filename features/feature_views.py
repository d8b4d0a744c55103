"""Batch feature views over the Spark tables and their fresh stream twins.

Every view carries an explicit schema (no inference at apply time, so ``apply``
never has to scan the lake), a TTL that says how old a value may be before it
is treated as missing, an owner and tags. Stream twins read from push sources
(Flink) online and from the Flink lake tables offline, so training and serving
see the same values.
"""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
from feast import FeatureView, Field
from feast.data_source import DataSource
from feast.types import Bool, FeastType, Float64, Int64, String, UnixTimestamp

from features.data_sources import PAYMENTS_FIELD_MAPPING, TABLE_SCHEMAS
from features.entities import course, device, ip, learner

_ARROW_TO_FEAST: dict[pa.DataType, FeastType] = {
    pa.int64(): Int64,
    pa.float64(): Float64,
    pa.string(): String,
    pa.bool_(): Bool,
    pa.timestamp("us", tz="UTC"): UnixTimestamp,
}

_KEYS = {"learner_id", "course_id", "device_id", "ip", "event_timestamp", "payment_id"}


def _fields(table: str, *, only: list[str] | None = None, rename: dict[str, str] | None = None) -> list[Field]:
    """Feature fields of ``table`` from the contract schema (keys and timestamps excluded)."""
    schema = TABLE_SCHEMAS[table]
    rename = rename or {}
    out: list[Field] = []
    for f in schema:
        if (only is None and f.name in _KEYS) or (only is not None and f.name not in only):
            continue
        out.append(Field(name=rename.get(f.name, f.name), dtype=_ARROW_TO_FEAST[f.type]))
    return out


def build_feature_views(sources: dict[str, DataSource]) -> dict[str, FeatureView]:
    """All feature views, keyed by name."""
    tags_batch = {"freshness": "daily", "producer": "spark"}
    tags_stream = {"freshness": "streaming", "producer": "flink"}
    views = [
        FeatureView(
            name="learner_activity",
            entities=[learner],
            ttl=timedelta(days=30),
            schema=_fields("learner_daily"),
            source=sources["learner_daily"],
            online=True,
            description="Daily learner activity and rolling 7/30-day aggregates (learner_daily).",
            owner="team:features",
            tags=tags_batch,
        ),
        FeatureView(
            name="course_stats",
            entities=[course],
            ttl=timedelta(days=30),
            schema=_fields("course_daily"),
            source=sources["course_daily"],
            online=True,
            description="Daily course popularity, completion rate, price and catalogue attributes.",
            owner="team:features",
            tags=tags_batch,
        ),
        FeatureView(
            name="learner_course",
            entities=[learner, course],
            ttl=timedelta(days=365),
            schema=_fields("interactions"),
            source=sources["interactions"],
            online=True,
            description="Cumulative learner x course interaction strength (implicit feedback).",
            owner="team:features",
            tags=tags_batch,
        ),
        FeatureView(
            name="learner_last_payment",
            entities=[learner],
            ttl=timedelta(days=90),
            schema=_fields(
                "payments_labeled",
                only=list(PAYMENTS_FIELD_MAPPING),
                rename=PAYMENTS_FIELD_MAPPING,
            ),
            source=sources["payments_labeled"],
            online=True,
            description="The learner's most recent payment attempt (amount, time, device, country).",
            owner="team:features",
            tags=tags_batch,
        ),
        # ---- stream twins: fresh values pushed by Flink ----
        FeatureView(
            name="learner_payment_velocity",
            entities=[learner],
            ttl=timedelta(days=1),
            schema=_fields("learner_payment_velocity"),
            source=sources["learner_payment_velocity_push"],
            online=True,
            description="Sliding-window payment counts/amounts per learner (Flink, seconds fresh).",
            owner="team:features",
            tags={**tags_stream, "twin_of": "learner_activity"},
        ),
        FeatureView(
            name="device_payment_velocity",
            entities=[device],
            ttl=timedelta(days=1),
            schema=_fields("device_payment_velocity"),
            source=sources["device_payment_velocity_push"],
            online=True,
            description="Sliding-window payment counts/amounts per device (Flink).",
            owner="team:features",
            tags=tags_stream,
        ),
        FeatureView(
            name="ip_payment_velocity",
            entities=[ip],
            ttl=timedelta(days=1),
            schema=_fields("ip_payment_velocity"),
            source=sources["ip_payment_velocity_push"],
            online=True,
            description="Sliding-window payment counts/amounts per IP address (Flink).",
            owner="team:features",
            tags=tags_stream,
        ),
        FeatureView(
            name="course_engagement",
            entities=[course],
            ttl=timedelta(days=1),
            schema=_fields("course_engagement"),
            source=sources["course_engagement_push"],
            online=True,
            description="5-minute course engagement and running totals (Flink twin of course_stats).",
            owner="team:features",
            tags={**tags_stream, "twin_of": "course_stats"},
        ),
    ]
    return {v.name: v for v in views}
