"""Small, deterministic lake tables in the contract schemas (tests, benchmarks, demos).

Values are pure functions of (entity index, day) so a test can compute the
expected feature value for any point in time without reading the files back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.data_sources import TABLE_SCHEMAS
from suuupra.lake import table_path
from suuupra.settings import Settings

CATEGORIES = ("data", "design", "math", "music", "programming")


@dataclass(frozen=True)
class SampleWorld:
    start: datetime  # midnight UTC of day 0
    days: int
    learners: list[str]
    courses: list[str]
    devices: list[str]
    ips: list[str]

    def day_ts(self, day: int) -> datetime:
        """Event timestamp of daily rows for ``day`` (end of the day, like a daily batch)."""
        return self.start + timedelta(days=day, hours=23, minutes=59)


def learner_views_7d(i: int, day: int) -> int:
    return 10 * i + day


def course_views_7d(j: int, day: int) -> int:
    return 100 * j + day


def _write(table: str, rows: list[dict], settings: Settings, *, part: str = "part-00000.parquet") -> None:
    schema = TABLE_SCHEMAS[table]
    frame = pd.DataFrame(rows)
    extra = [c for c in frame.columns if c not in schema.names]
    full = schema
    for c in extra:
        typ = pa.Table.from_pandas(frame[[c]], preserve_index=False).schema[0].type
        if pa.types.is_timestamp(typ):  # Spark cannot read nanosecond Parquet timestamps
            typ = pa.timestamp("us", tz="UTC")
        full = full.append(pa.field(c, typ))
    directory = table_path(table, settings)
    directory.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(frame, schema=full, preserve_index=False), directory / part)


def write_sample_tables(
    settings: Settings,
    *,
    n_learners: int = 6,
    n_courses: int = 4,
    days: int = 5,
    start: datetime | None = None,
) -> SampleWorld:
    """Write the four batch tables and the four stream tables; returns what was written."""
    start = start or (datetime.now(UTC) - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    w = SampleWorld(
        start=start,
        days=days,
        learners=[f"L{i}" for i in range(n_learners)],
        courses=[f"C{j}" for j in range(n_courses)],
        devices=[f"D{i}" for i in range(n_learners)],
        ips=[f"10.0.0.{i}" for i in range(n_learners)],
    )
    learner_rows, course_rows, inter_rows, pay_rows = [], [], [], []
    lvel, dvel, ivel, ceng = [], [], [], []
    for day in range(days):
        ts = w.day_ts(day)
        for i, lid in enumerate(w.learners):
            learner_rows.append(
                dict(
                    learner_id=lid, date=ts.date().isoformat(), event_timestamp=ts,
                    views=i + day, watch_minutes=1.5 * (i + day), completions=day % 2,
                    enrollments=1 if day == 0 else 0, payments=1, amount_minor_sum=1000.0 * (i + 1),
                    views_7d=learner_views_7d(i, day), watch_minutes_7d=10.0 * i + day,
                    enrollments_30d=i, avg_payment_amount_30d=1000.0 * (i + 1) + day, payments_30d=day + 1,
                )
            )
            pay_ts = ts - timedelta(hours=2)
            pay_rows.append(
                dict(
                    payment_id=f"P{i}-{day}", learner_id=lid, order_id=f"O{i}-{day}",
                    amount_minor=1000.0 * (i + 1) + day, currency="INR", method="card",
                    device_id=w.devices[i], ip=w.ips[i], country="IN", occurred_at=pay_ts,
                    event_timestamp=pay_ts, date=pay_ts.date().isoformat(), status="authorized",
                    refunded=False, is_fraud=int(i == 0 and day == days - 1), fraud_pattern="",
                )
            )
            vel = dict(
                event_timestamp=pay_ts, payments_10m=1, amount_10m=1000.0 * (i + 1),
                payments_1h=1 + day, amount_1h=1000.0 * (i + 1 + day), payments_24h=2 + day,
                amount_24h=2000.0 * (i + 1) + day,
            )
            lvel.append(dict(learner_id=lid, distinct_devices_24h=1, distinct_countries_24h=1, **vel))
            dvel.append(dict(device_id=w.devices[i], **vel))
            ivel.append(dict(ip=w.ips[i], **vel))
            for j, cid in enumerate(w.courses):
                if (i + j) % 2 == 0:
                    inter_rows.append(
                        dict(
                            learner_id=lid, course_id=cid, weight=float(i + j + day), last_ts=ts,
                            event_timestamp=ts, views=day + 1, watch_seconds=60.0 * (day + 1),
                            completions=day // 2, enrolled=day > 0,
                        )
                    )
        for j, cid in enumerate(w.courses):
            course_rows.append(
                dict(
                    course_id=cid, date=ts.date().isoformat(), event_timestamp=ts, views=j + day,
                    watch_minutes=2.0 * (j + day), completions=day, enrollments=j, learners=j + 1,
                    revenue_minor=500.0 * j, views_7d=course_views_7d(j, day), enrollments_7d=j + day,
                    completion_rate_30d=0.1 * j, price_minor=99900.0 + j, category=CATEGORIES[j % 5],
                    published=True,
                )
            )
            ceng.append(
                dict(
                    course_id=cid, event_timestamp=ts - timedelta(minutes=5), views_5m=j + day,
                    watch_minutes_5m=0.5 * j, completions_5m=0, learners_5m=j, enrollments_total=10 * j + day,
                    views_total=100 * j + day,
                )
            )
    _write("learner_daily", learner_rows, settings)
    _write("course_daily", course_rows, settings)
    _write("interactions", inter_rows, settings)
    _write("payments_labeled", pay_rows, settings)
    _write("learner_payment_velocity", lvel, settings)
    _write("device_payment_velocity", dvel, settings)
    _write("ip_payment_velocity", ivel, settings)
    _write("course_engagement", ceng, settings)
    return w
