"""Spark batch ETL wall time vs data size (demo scale 1, 10, 100).

Each scale writes a fresh demo world and runs the full ETL (all tables) in
one SparkSession; the baseline is scale 1 in the same run, so the table shows
how cost grows with data (``time_ratio`` vs ``data_ratio``).

    .venv/bin/python benchmarks/bench_pipelines_spark.py [--scales 1,10,100] [--days 7]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import report  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10")
    ap.add_argument("--days", type=int, default=7)
    args = ap.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    from suuupra.demo import WorldConfig, write_demo_world
    from suuupra.settings import load_settings

    rows = []
    for scale in scales:
        with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
            settings = load_settings(data_dir=tmp)
            summary = write_demo_world(settings.events_dir, WorldConfig(scale=scale, days=args.days), progress=False)
            from pipelines.spark.etl import run_etl
            from pipelines.spark.session import get_spark

            get_spark(settings)  # session start is not part of the ETL cost
            t0 = time.perf_counter()
            result = run_etl(settings)
            wall = time.perf_counter() - t0
            rows.append({"scale": scale, "events": summary.events, "events_clean": result.rows["events_clean"],
                         "seconds": round(wall, 2), "events_per_s": round(summary.events / wall)})
    base = rows[0]
    for r in rows:
        r["data_ratio"] = round(r["events"] / base["events"], 2)
        r["time_ratio"] = round(r["seconds"] / base["seconds"], 2)
    report("bench_pipelines_spark", f"Spark ETL wall time by demo scale ({args.days} days)", rows,
           notes=f"cpu count {os.cpu_count()}; load avg {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
