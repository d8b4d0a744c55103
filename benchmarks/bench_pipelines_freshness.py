"""Freshness: payment event written to the lake -> velocity feature readable online (p50/p95).

Runs the velocity job in ``--follow`` mode (1 s directory monitoring,
1 s checkpoints, on-event watermarks with 1 s lateness) and the publisher
(push to the Feast online store) in this process, writes one payment segment
every ``--interval`` seconds through the event log, and records for each event
the time until its velocity row was pushed (``push_rows`` returns after the
online write), then reads a sample back from the online store with Feast to
confirm it is readable. The baseline row is the pure lake-write time.

    .venv/bin/python benchmarks/bench_pipelines_freshness.py [--events 200] [--interval 0.1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from benchmarks._report import report  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--interval", type=float, default=0.1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-fresh-") as tmp:
        from suuupra.settings import load_settings

        settings = load_settings(data_dir=tmp)
        from features.apply import apply_repo
        from features.push import push_rows
        from pipelines.flink.jobs import start_job
        from pipelines.flink.publish import publish
        from pipelines.flink.sql import StreamOptions
        from suuupra.eventlog import open_event_log
        from suuupra.events import make_event

        apply_repo(settings)
        log = open_event_log(settings)
        written: dict[str, float] = {}
        pushed: dict[str, float] = {}

        def pusher(source: str, frame) -> int:
            n = push_rows(source, frame, settings, to="online")
            now = time.perf_counter()
            if source == "learner_payment_velocity_push":
                for eid in frame_ids.get(id(frame), []):
                    pushed.setdefault(eid, now)
            return n

        frame_ids: dict[int, list[str]] = {}

        def publish_loop(stop: threading.Event) -> None:
            from pipelines.flink import publish as pub

            orig = pub.read_output

            def tracking(files, name):
                df = orig(files, name)
                if "event_id" in df.columns:
                    frame_ids[id(df)] = list(df["event_id"])
                return df

            pub.read_output = tracking
            while not stop.is_set():
                publish(settings, names=["learner_payment_velocity"], pusher=pusher)
                time.sleep(0.05)

        running = start_job("velocity", settings, follow=True, restore=False,
                            opts=StreamOptions(lateness_s=1, monitor_interval_s=1.0, watermark_on_event=True))
        stop = threading.Event()
        th = threading.Thread(target=publish_loop, args=(stop,), daemon=True)
        th.start()
        from pipelines.flink.jobs import latest_checkpoint

        t_wait = time.perf_counter() + 180
        while latest_checkpoint("velocity", settings) is None and time.perf_counter() < t_wait:
            time.sleep(0.5)  # job start-up is not part of freshness: wait for its first checkpoint
        write_s = []
        for i in range(args.events + 20):  # the trailing events push the watermark past the last measured ones
            ev = make_event("payment.attempted", learner_id=f"fresh{i % 50}", payment_id=f"p{i}",
                            amount_minor=1000 + i, method="card", device_id=f"d{i % 7}", ip="10.0.0.1",
                            country="IN", event_id=f"fresh-{uuid.uuid4().hex}", occurred_at=datetime.now(UTC))
            t0 = time.perf_counter()
            log.append([ev])
            write_s.append(time.perf_counter() - t0)
            if i < args.events:
                written[ev.event_id] = t0
            time.sleep(args.interval)
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline and len(set(written) & set(pushed)) < len(written):
            time.sleep(0.2)
        stop.set()
        th.join(5)
        running.cancel()
        lat = np.array([pushed[e] - t for e, t in written.items() if e in pushed])
        from features.store import get_store

        online = get_store(settings).get_online_features(
            features=["learner_payment_velocity:payments_10m"], entity_rows=[{"learner_id": "fresh0"}]).to_dict()
    rows = [
        {"stage": "lake write (baseline)", "events": len(write_s), "p50_s": float(np.percentile(write_s, 50)),
         "p95_s": float(np.percentile(write_s, 95))},
        {"stage": "lake -> online store", "events": int(lat.size),
         "p50_s": float(np.percentile(lat, 50)) if lat.size else float("nan"),
         "p95_s": float(np.percentile(lat, 95)) if lat.size else float("nan")},
    ]
    report("bench_pipelines_freshness", "Velocity feature freshness (event written -> online)", rows,
           notes=f"{lat.size}/{len(written)} events observed online; online read fresh0 -> {online}; "
                 f"load avg {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
