"""Transcode speed per HLS rendition, as a multiple of real time.

Baseline, measured in the same run on the same source: a decode-only pass
(``ffmpeg -i src -f null -``), the ceiling any transcode of this file can reach.
``ratio`` = rendition speed / decode speed (1.0 would mean encoding is free).

    .venv/bin/python benchmarks/bench_streaming_transcode.py [--seconds 10 --size 1280x720 --preset veryfast]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from apps_api.streaming import hls
from apps_api.streaming.ffmpeg import make_test_clip, probe, run_ffmpeg
from apps_api.streaming.ladder import plan_ladder

RESULTS = Path(__file__).resolve().parent / "results" / "streaming_transcode.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--preset", default="veryfast")
    ap.add_argument("--threads", type=int, default=0, help="ffmpeg threads (0 = auto)")
    args = ap.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="bench-transcode-") as tmp:
        work = Path(tmp)
        with console.status("making source clip"):
            src = make_test_clip(work / "src.mp4", seconds=args.seconds, size=args.size, preset="veryfast")
        info = probe(src)
        t0 = time.perf_counter()
        run_ffmpeg(["-i", str(src), "-f", "null", "-"])
        decode_s = time.perf_counter() - t0
        decode_x = info.duration_s / decode_s
        rows = []
        for r in plan_ladder(info):
            with console.status(f"encoding {r.name}"):
                res = hls.transcode_rendition(src, work / r.name, r, has_audio=info.has_audio,
                                              preset=args.preset, threads=args.threads)
            x = info.duration_s / res.encode_s
            rows.append({"rendition": r.name, "resolution": f"{res.width}x{res.height}",
                         "encode_s": res.encode_s, "x_realtime": round(x, 2),
                         "ratio_vs_decode": round(x / decode_x, 3), "peak_kbps": round(res.bandwidth / 1000),
                         "segments": res.segments})
        total = sum(r["encode_s"] for r in rows)
    t = Table(title=f"HLS transcode, {args.seconds:g}s {args.size} source, preset {args.preset}")
    for c in ("rendition", "resolution", "encode s", "x real time", "ratio vs decode", "peak kbps"):
        t.add_column(c)
    t.add_row("baseline: decode only", args.size, f"{decode_s:.2f}", f"{decode_x:.1f}", "1.000", "-")
    for r in rows:
        t.add_row(r["rendition"], r["resolution"], f"{r['encode_s']:.2f}", f"{r['x_realtime']:.1f}",
                  f"{r['ratio_vs_decode']:.3f}", str(r["peak_kbps"]))
    t.add_row("whole ladder", "-", f"{total:.2f}", f"{info.duration_s / total:.1f}",
              f"{info.duration_s / total / decode_x:.3f}", "-")
    console.print(t)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "streaming_transcode", "source": {"seconds": args.seconds, "size": args.size},
        "preset": args.preset, "machine": platform.platform(),
        "baseline": {"name": "decode_only", "seconds": round(decode_s, 3), "x_realtime": round(decode_x, 2)},
        "renditions": rows,
        "ladder": {"encode_s": round(total, 3), "x_realtime": round(info.duration_s / total, 2)},
    }, indent=2))
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
