"""Segment-serving throughput: signed media route vs a plain static file route, same run.

One uvicorn server (in-process thread, loopback) mounts both routes over the
same directory: ``/static`` (Starlette ``StaticFiles``, the baseline) and the
streaming router's signed ``/media/s/...`` route (HMAC check + Range + caching
headers). Clients fetch the same HLS segment N times with C concurrent
connections, full files and 64 KiB Range reads. ``ratio`` = signed / static.

    .venv/bin/python benchmarks/bench_streaming_serving.py [--requests 300 --concurrency 8 --segment-kb 512]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _drive(url: str, n: int, concurrency: int, headers: dict[str, str], expect: int) -> tuple[float, int]:
    import httpx

    done, nbytes = 0, 0
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:
        async def worker() -> None:
            nonlocal done, nbytes
            while done < n:
                done += 1
                r = await client.get(url, headers=headers)
                assert r.status_code == expect, (url, r.status_code, r.text[:200])
                nbytes += len(r.content)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - t0, nbytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--segment-kb", type=int, default=512)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    import uvicorn
    from _report import report
    from fastapi import FastAPI
    from fastapi.staticfiles import StaticFiles

    from apps_api.streaming.config import StreamingConfig
    from apps_api.streaming.routes_media import router
    from apps_api.streaming.runtime import build_runtime
    from apps_api.streaming.signing import sign_url
    from suuupra.settings import load_settings

    settings = load_settings(data_dir=tmp)
    seg_dir = settings.media_dir / "videos" / "vid_bench" / "360p"
    seg_dir.mkdir(parents=True)
    (seg_dir / "seg_00000.ts").write_bytes(os.urandom(args.segment_kb * 1024))

    app = FastAPI()
    app.state.suuupra = SimpleNamespace(
        streaming=build_runtime(settings, StreamingConfig(storage="local"), max_body_bytes=256 * 1024))
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=settings.media_dir), name="static")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    signed, _ = sign_url(settings.media_signing_secret.get_secret_value(), "videos/vid_bench",
                         "360p/seg_00000.ts", "usr_bench", 3600)
    routes = {"static": f"{base}/static/videos/vid_bench/360p/seg_00000.ts", "signed": base + signed}
    rows = []
    try:
        for mode, headers, expect in (("full file", {}, 200), ("range 64 KiB", {"Range": "bytes=65536-131071"}, 206)):
            measured = {}
            for name, url in routes.items():
                asyncio.run(_drive(url, 20, 2, headers, expect))  # warm-up
                secs, nbytes = asyncio.run(_drive(url, args.requests, args.concurrency, headers, expect))
                measured[name] = (args.requests / secs, nbytes / secs / 1e6)
            for name in routes:
                rps, mbps = measured[name]
                rows.append({"request": mode, "route": name, "req_per_s": round(rps, 1),
                             "MB_per_s": round(mbps, 1),
                             "ratio_vs_static": round(rps / measured["static"][0], 3)})
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    report("streaming_serving",
           f"HLS segment serving, {args.segment_kb} KiB segment, {args.requests} requests x {args.concurrency} "
           "concurrent (uvicorn, loopback)", rows,
           notes="ratio_vs_static = signed media route throughput / StaticFiles throughput in the same run")


if __name__ == "__main__":
    main()
