"""Flink jobs against pandas references, lateness in/out of the bound, replayed files.

Two job runs in total (velocity, engagement), each over one small crafted
lake, with all assertions of a job grouped on its single run (Flink cold
start is ~15 s per job). The lake holds the same segment twice (a replay):
the expected values are computed once per event, so any double counting fails.
"""

from __future__ import annotations

import json
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow

LATENESS = timedelta(minutes=5)
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _write(events_dir: Path, topic: str, rows: list[dict]) -> Path:
    d = events_dir / f"topic={topic}" / "date=2026-11-01" / "hour=00"
    d.mkdir(parents=True, exist_ok=True)
    f = d / "part-0001.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    shutil.copy(f, d / "part-0002-replay.jsonl")  # replayed segment: same events again
    return f


def _payment(i: int, ts: datetime, learner: str, device: str, ip: str, country: str, amount: int) -> dict:
    return {"event_id": f"pay-{i}", "event_type": "payment.attempted", "occurred_at": _iso(ts),
            "learner_id": learner, "payment_id": f"p{i}", "amount_minor": amount, "currency": "INR",
            "method": "card", "device_id": device, "ip": ip, "country": country, "is_fraud": 0}


def payment_events() -> tuple[list[dict], set[str]]:
    """Random in-order payments, then a late-arrival scenario for learner ``late``. Returns (rows, dropped ids)."""
    rng = random.Random(5)
    rows, ts = [], T0
    for i in range(160):
        ts += timedelta(seconds=rng.randint(1, 400), milliseconds=rng.randint(0, 999))
        learner = f"u{rng.randint(0, 9)}"
        rows.append(_payment(i, ts, learner, f"d{rng.randint(0, 4)}", f"10.0.0.{rng.randint(0, 5)}",
                             rng.choice(["IN", "IN", "US", "NG"]), rng.choice([9900, 49900, 149900])))
    # in file order: A, B, C on time; X 25 min behind (beyond the bound, older than an emitted row) -> dropped;
    # Y 3 min behind C (within the 5-min bound) -> counted
    t = ts + timedelta(hours=2)
    late = [(1000, t), (1001, t + timedelta(minutes=10)), (1002, t + timedelta(minutes=30)),
            (1003, t + timedelta(minutes=5)), (1004, t + timedelta(minutes=27))]
    for i, at in late:
        rows.append(_payment(i, at, "late", "dlate", "10.9.9.9", "IN" if i != 1004 else "BR", 1000 + i))
    # an engagement-like non-payment event and a malformed line must be ignored
    rows.append({"event_id": "auth-1", "event_type": "payment.authorized", "occurred_at": _iso(t),
                 "learner_id": "late", "payment_id": "p1000", "amount_minor": 5, "device_id": "dlate", "ip": "x",
                 "country": "IN", "method": "card"})
    return rows, {"pay-1003"}


def velocity_reference(rows: list[dict], dropped: set[str], key: str) -> pd.DataFrame:
    df = pd.DataFrame([r for r in rows if r["event_type"] == "payment.attempted" and r["event_id"] not in dropped])
    df["ts"] = pd.to_datetime(df["occurred_at"], utc=True)
    out = []
    for _, r in df.iterrows():
        mine = df[(df[key] == r[key]) & (df["ts"] <= r["ts"])]
        rec = {key: r[key], "event_id": r["event_id"], "event_timestamp": r["ts"]}
        for name, delta in (("10m", timedelta(minutes=10)), ("1h", timedelta(hours=1)), ("24h", timedelta(hours=24))):
            w = mine[mine["ts"] >= r["ts"] - delta]
            rec[f"payments_{name}"] = len(w)
            rec[f"amount_{name}"] = float(w["amount_minor"].sum())
            if name == "24h" and key == "learner_id":
                rec["distinct_devices_24h"] = w["device_id"].nunique()
                rec["distinct_countries_24h"] = w["country"].nunique()
        out.append(rec)
    return pd.DataFrame(out)


def engagement_events() -> tuple[list[dict], set[str]]:
    rng = random.Random(9)
    rows, ts = [], T0
    for i in range(300):
        ts += timedelta(seconds=rng.randint(1, 60))
        course, learner = f"c{rng.randint(0, 5)}", f"u{rng.randint(0, 30)}"
        kind = rng.choice(["lesson.viewed", "video.progress", "video.progress", "enrollment.created"])
        rec = {"event_id": f"eng-{i}", "event_type": kind, "occurred_at": _iso(ts), "learner_id": learner,
               "course_id": course}
        if kind == "video.progress":
            rec |= {"lesson_id": "l1", "seconds_watched": float(rng.randint(10, 60)), "position_s": 1.0,
                    "duration_s": 300.0, "completed": rng.random() < 0.2}
        rows.append(rec)
    t = ts.replace(minute=0, second=0, microsecond=0) + timedelta(hours=2, minutes=1)  # hh:01
    for i, at in [(900, t), (901, t + timedelta(minutes=11)), (902, t + timedelta(minutes=2)),
                  (903, t + timedelta(minutes=7))]:
        rows.append({"event_id": f"eng-{i}", "event_type": "lesson.viewed", "occurred_at": _iso(at),
                     "learner_id": f"ul{i}", "course_id": "clate"})
    # eng-902 (hh:03) arrives after the watermark passed hh:05 (window [hh:00, hh:05) fired) -> dropped;
    # eng-903 (hh:08) is 4 min behind the newest event: within the bound -> counted
    return rows, {"eng-902"}


def engagement_reference(rows: list[dict], dropped: set[str]) -> pd.DataFrame:
    df = pd.DataFrame([r for r in rows if r["event_id"] not in dropped])
    df["ts"] = pd.to_datetime(df["occurred_at"], utc=True)
    df["window_start"] = df["ts"].dt.floor("5min")
    df["v"] = (df["event_type"] == "lesson.viewed").astype(int)
    df["w"] = np.where(df["event_type"] == "video.progress", df.get("seconds_watched", 0.0), 0.0)
    df["c"] = ((df["event_type"] == "video.progress") & (df.get("completed") == True)).astype(int)  # noqa: E712
    df["e"] = (df["event_type"] == "enrollment.created").astype(int)
    g = df.groupby(["course_id", "window_start"]).agg(views_5m=("v", "sum"), watch_minutes_5m=("w", "sum"),
                                                      completions_5m=("c", "sum"), learners_5m=("learner_id", "nunique"),
                                                      enrollments_5m=("e", "sum")).reset_index()
    g["watch_minutes_5m"] /= 60.0
    g = g.sort_values(["course_id", "window_start"])
    g["views_total"] = g.groupby("course_id")["views_5m"].cumsum()
    g["enrollments_total"] = g.groupby("course_id")["enrollments_5m"].cumsum()
    g["engagement_score"] = g["views_5m"] + 0.1 * g["watch_minutes_5m"] + 2 * g["completions_5m"] + 3 * g["enrollments_5m"]
    return g


@pytest.fixture()
def lake(settings):
    pay, pay_dropped = payment_events()
    eng, eng_dropped = engagement_events()
    _write(settings.events_dir, "payments", pay)
    _write(settings.events_dir, "engagement", eng)
    return settings, (pay, pay_dropped), (eng, eng_dropped)


def _assert_frames(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], cols: list[str]) -> None:
    assert len(actual) == len(expected), (len(actual), len(expected))
    m = actual.merge(expected, on=keys, how="outer", suffixes=("", "_ref"), indicator=True)
    assert (m["_merge"] == "both").all(), m[m["_merge"] != "both"].head(10)
    for c in cols:
        np.testing.assert_allclose(m[c].astype(float), m[f"{c}_ref"].astype(float), rtol=1e-9, err_msg=c)


def test_velocity_job_matches_pandas_with_lateness_and_replay(lake):
    from pipelines.flink.jobs import run_job
    from pipelines.flink.publish import publish, read_stream_output
    from pipelines.flink.sql import StreamOptions
    from pipelines.quality.gates import read_table_frame

    settings, (rows, dropped), _ = lake
    opts = StreamOptions(lateness_s=LATENESS.total_seconds(), watermark_on_event=True)
    run_job("velocity", settings, opts=opts, catchup=False)
    for entity, key in (("learner", "learner_id"), ("device", "device_id"), ("ip", "ip")):
        out = read_stream_output(f"{entity}_payment_velocity", settings)
        exp = velocity_reference(rows, dropped, key)
        cols = [f"{m}_{w}" for w in ("10m", "1h", "24h") for m in ("payments", "amount")]
        if entity == "learner":
            cols += ["distinct_devices_24h", "distinct_countries_24h"]
        _assert_frames(out, exp, ["event_id"], cols)
        ts = out.set_index("event_id")["event_timestamp"].sort_index()
        assert (ts == exp.set_index("event_id")["event_timestamp"].sort_index()).all()
    late = read_stream_output("learner_payment_velocity", settings).set_index("event_id")
    assert "pay-1003" not in late.index  # beyond the lateness bound: dropped
    assert late.loc["pay-1002", "payments_1h"] == 4  # A, B, late-but-within-bound Y, C
    assert late.loc["pay-1002", "distinct_countries_24h"] == 2
    # publishing to the lake (no online store in this test): Parquet rows == Flink rows, and idempotent
    counts = publish(settings, names=["learner_payment_velocity"])
    assert counts == {"learner_payment_velocity": len(late)}
    assert publish(settings, names=["learner_payment_velocity"]) == {"learner_payment_velocity": 0}
    lake_rows = read_table_frame("learner_payment_velocity", settings)
    assert len(lake_rows) == len(late) and str(lake_rows["event_timestamp"].dtype).startswith("datetime64")


def test_engagement_windows_counters_trending(lake):
    from pipelines.flink.jobs import run_job
    from pipelines.flink.publish import read_stream_output
    from pipelines.flink.sql import StreamOptions

    settings, _, (rows, dropped) = lake
    opts = StreamOptions(lateness_s=LATENESS.total_seconds(), watermark_on_event=True, top_k=3)
    run_job("engagement", settings, opts=opts, catchup=False)
    out = read_stream_output("course_engagement", settings)
    exp = engagement_reference(rows, dropped)
    _assert_frames(out, exp, ["course_id", "window_start"],
                   ["views_5m", "watch_minutes_5m", "completions_5m", "learners_5m", "enrollments_5m",
                    "views_total", "enrollments_total"])
    assert (out["event_timestamp"] == out["window_end"] - pd.Timedelta(milliseconds=1)).all()
    late = out[out["course_id"] == "clate"].sort_values("window_start")
    assert late["views_5m"].tolist() == [1, 1, 1]  # hh:03 dropped, hh:08 counted
    assert late["views_total"].tolist() == [1, 2, 3]
    top = read_stream_output("trending_courses", settings)
    for ws, g in exp.groupby("window_start"):
        got = top[top["window_start"] == ws].sort_values("rank")
        want = sorted(g["engagement_score"], reverse=True)[:3]
        assert got["rank"].tolist() == list(range(1, len(want) + 1))
        np.testing.assert_allclose(got["engagement_score"].to_numpy(), want)
