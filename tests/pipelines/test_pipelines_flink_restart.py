"""A follow-mode Flink job stopped and restarted from its checkpoint neither re-reads nor loses input.

Part 1 of the payments is processed, the job is cancelled (its checkpoint is retained), part 2
lands in the lake, and the job is started again: every event is emitted exactly once, and part-2
windows still count part-1 history (state restored, not recomputed from scratch).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from test_pipelines_flink_jobs import T0, _payment, velocity_reference

pytestmark = pytest.mark.slow


def _segment(events_dir, hour: int, name: str, rows: list[dict]) -> None:
    d = events_dir / "topic=payments" / "date=2026-11-01" / f"hour={hour:02d}"
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / f".{name}.inprogress"
    tmp.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    tmp.rename(d / name)  # atomic publish, as the event log does


def _wait_rows(settings, ids: set[str], timeout_s: float = 120.0) -> None:
    from pipelines.flink.publish import read_stream_output

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        out = read_stream_output("learner_payment_velocity", settings)
        if ids <= set(out["event_id"]):
            return
        time.sleep(1.0)
    raise AssertionError(f"rows for {len(ids - set(out['event_id']))} events never appeared")


def test_restart_from_checkpoint_counts_every_event_once(settings):
    from pipelines.flink.jobs import latest_checkpoint, start_job
    from pipelines.flink.publish import read_stream_output
    from pipelines.flink.sql import StreamOptions

    rows = []
    for i in range(40):
        at = T0 + timedelta(minutes=i)
        rows.append(_payment(i, at, f"u{i % 4}", f"d{i % 3}", "10.0.0.1", "IN", 1000 + i))
    part1, part2 = rows[:20], rows[20:]
    # a later event per part pushes the watermark past that part's last real event
    sentinel1 = _payment(900, T0 + timedelta(minutes=19, seconds=30), "zz", "dz", "10.0.0.9", "IN", 1)
    sentinel2 = _payment(901, T0 + timedelta(hours=2), "zz", "dz", "10.0.0.9", "IN", 1)
    opts = StreamOptions(lateness_s=5.0, watermark_on_event=True)

    _segment(settings.events_dir, 0, "part-a.jsonl", part1 + [sentinel1])
    first = start_job("velocity", settings, follow=True, opts=opts, restore=True)
    try:
        _wait_rows(settings, {r["event_id"] for r in part1})
        deadline = time.monotonic() + 60
        while latest_checkpoint("velocity", settings) is None and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2.5)  # let a checkpoint complete after the part-1 rows were committed
    finally:
        first.cancel()
    assert latest_checkpoint("velocity", settings) is not None

    _segment(settings.events_dir, 1, "part-b.jsonl", part2 + [sentinel2])
    second = start_job("velocity", settings, follow=True, opts=opts, restore=True)
    try:
        _wait_rows(settings, {r["event_id"] for r in part2})
        time.sleep(3)  # a re-read of part 1 would show up as duplicate rows by now
    finally:
        second.cancel()

    out = read_stream_output("learner_payment_velocity", settings)
    out = out[out["learner_id"] != "zz"]
    assert out["event_id"].is_unique, out[out["event_id"].duplicated()]["event_id"].tolist()
    assert len(out) == len(rows)
    exp = velocity_reference(rows, set(), "learner_id").set_index("event_id")
    got = out.set_index("event_id")
    for col in ("payments_1h", "payments_24h", "amount_24h"):
        assert (got[col].astype(float) == exp.loc[got.index, col].astype(float)).all(), col
