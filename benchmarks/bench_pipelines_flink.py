"""Flink velocity job throughput (events/s per core) vs a pass-through job over the same files.

Both jobs run bounded, parallelism 1 (= one core), in the same process over
the same generated payments lake; the pass-through job reads and writes every
payment attempt unchanged, so the ratio is the cost of the velocity logic
(dedup + 9 OVER windows + joins) over plain I/O. Wall time includes the job
start; a warm-up run of the pass-through job is excluded.

    .venv/bin/python benchmarks/bench_pipelines_flink.py [--events 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import report  # noqa: E402


def write_payments(events_dir: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    ts = datetime(2026, 11, 1, tzinfo=UTC)
    per_file = 10_000
    for start in range(0, n, per_file):
        d = events_dir / "topic=payments" / f"date={ts:%Y-%m-%d}" / f"hour={ts:%H}"
        d.mkdir(parents=True, exist_ok=True)
        lines = []
        for i in range(start, min(n, start + per_file)):
            ts += timedelta(milliseconds=rng.randint(1, 2000))
            lines.append(json.dumps({
                "event_id": f"e{i}", "event_type": "payment.attempted",
                "occurred_at": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z",
                "learner_id": f"u{rng.randint(0, n // 20)}", "payment_id": f"p{i}",
                "amount_minor": rng.choice([9900, 49900, 149900]), "currency": "INR", "method": "card",
                "device_id": f"d{rng.randint(0, n // 10)}", "ip": f"10.0.{rng.randint(0, 255)}.{rng.randint(0, 255)}",
                "country": rng.choice(["IN", "IN", "IN", "US", "NG"]), "is_fraud": 0}))
        (d / f"part-{start:09d}.jsonl").write_text("\n".join(lines) + "\n")


def passthrough(settings, out: Path) -> float:
    from pipelines.flink import sql
    from pipelines.flink.jobs import create_env, environment_config

    conf = environment_config("passthrough", settings, follow=False, parallelism=1, restore=False)
    env = create_env(conf)
    opts = sql.StreamOptions(lateness_s=5)
    env.execute_sql(sql.source_ddl("payments_src", "payments", sql.PAYMENT_FIELDS, settings, opts, "passthrough"))
    cols = {**sql.PAYMENT_FIELDS, "occurred_at": "TIMESTAMP_LTZ(3)"}
    env.execute_sql(sql.sink_ddl("passthrough", cols, out, False))
    t0 = time.perf_counter()
    names = ", ".join(f"`{c}`" for c in cols)
    env.execute_sql(f"INSERT INTO `sink_passthrough` SELECT {names} FROM `payments_src`").wait()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=50_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-flink-") as tmp:
        from pipelines.flink.jobs import run_job
        from pipelines.flink.publish import read_stream_output
        from suuupra.settings import load_settings

        settings = load_settings(data_dir=tmp)
        write_payments(settings.events_dir, args.events)
        passthrough(settings, Path(tmp) / "warmup")  # JVM + planner warm-up
        base = passthrough(settings, Path(tmp) / "passthrough")
        vel = run_job("velocity", settings).seconds
        rows = len(read_stream_output("learner_payment_velocity", settings))
        assert rows == args.events, (rows, args.events)
    results = [
        {"job": "pass-through", "events": args.events, "seconds": round(base, 2),
         "events_per_s_per_core": round(args.events / base), "ratio_vs_passthrough": 1.0},
        {"job": "velocity (learner+device+ip, 10m/1h/24h)", "events": args.events, "seconds": round(vel, 2),
         "events_per_s_per_core": round(args.events / vel), "ratio_vs_passthrough": round(base / vel, 3)},
    ]
    report("bench_pipelines_flink", "Flink velocity job vs pass-through (parallelism 1)", results,
           notes=f"cpu count {os.cpu_count()}; load avg {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
