"""Event-log append throughput vs a plain json.dumps + file write baseline, and
demo-world generator events/s and peak memory at scale 1 and 10.

Run: .venv/bin/python benchmarks/bench_foundation_eventlog.py [--scales 1 10] [--events 200000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import report  # noqa: E402

from suuupra.demo import WorldConfig, write_demo_world  # noqa: E402
from suuupra.eventlog import LocalEventLog  # noqa: E402
from suuupra.events import LessonViewed  # noqa: E402


def _events(n: int) -> list[LessonViewed]:
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        LessonViewed(learner_id=f"u{i % 5000}", course_id=f"c{i % 40}", lesson_id="l1",
                     occurred_at=t0 + timedelta(seconds=i % 3600))
        for i in range(n)
    ]


def bench_append(n: int) -> list[dict]:
    events = _events(n)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "baseline.jsonl"
        t = time.perf_counter()
        with open(path, "w") as fh:
            for e in events:
                fh.write(json.dumps(e.to_record()) + "\n")
        base = time.perf_counter() - t
        rows.append({"case": "json.dumps + file write (baseline)", "events": n,
                     "events_per_s": n / base, "ratio_vs_baseline": 1.0})
        for batch in (1_000, 10_000):
            log = LocalEventLog(Path(tmp) / f"log{batch}")
            t = time.perf_counter()
            for i in range(0, n, batch):
                log.append(events[i:i + batch])
            el = time.perf_counter() - t
            rows.append({"case": f"LocalEventLog.append (validated, atomic, batch {batch})", "events": n,
                         "events_per_s": n / el, "ratio_vs_baseline": base / el})
        log = LocalEventLog(Path(tmp) / "buffered")
        t = time.perf_counter()
        with log.writer() as w:
            for e in events:
                w.write(e)
        el = time.perf_counter() - t
        rows.append({"case": "BufferedEventWriter (atomic segments)", "events": n,
                     "events_per_s": n / el, "ratio_vs_baseline": base / el})
    return rows


def _gen(scale: int, q: mp.Queue) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        summary = write_demo_world(Path(tmp), WorldConfig(scale=scale), progress=False)
        el = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        q.put({"case": f"demo world scale {scale}", "events": summary.events,
               "events_per_s": summary.events / el, "seconds": el,
               "peak_rss_mib": peak / 1024, "rss_growth_mib": (peak - base_rss) / 1024})


def bench_generator(scales: list[int]) -> list[dict]:
    rows = []
    for scale in scales:
        q: mp.Queue = mp.Queue()
        p = mp.Process(target=_gen, args=(scale, q))
        p.start()
        rows.append(q.get())
        p.join()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    args = ap.parse_args()
    report("foundation_eventlog_append", "Event-log append throughput", bench_append(args.events),
           "ratio_vs_baseline < 1 means slower than the unvalidated baseline (the cost of validation + atomicity).")
    report("foundation_generator", "Demo-world generator", bench_generator(args.scales),
           "peak_rss_mib is the generator process's max RSS; rss_growth_mib what generation added (bounded: events stream to disk).")


if __name__ == "__main__":
    main()
