"""API throughput: browse-catalog and checkout vs a bare FastAPI JSON endpoint.

Starts two real uvicorn servers in subprocesses (the bare app and the full
``apps_api`` app on a fresh SQLite database), drives each with a fixed number
of concurrent HTTP clients, and reports requests/s, p50 and p99 latency, each
as a ratio against the bare endpoint measured in the same run.

Run: .venv/bin/python benchmarks/bench_api_throughput.py [--concurrency 16] [--requests 600]
     [--checkouts 200] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FAST_ENV = {
    "SUUUPRA_API_RATE_LIMIT_ENABLED": "false", "SUUUPRA_API_LOG_REQUESTS": "false",
    "SUUUPRA_API_ARGON2_TIME_COST": "1", "SUUUPRA_API_ARGON2_MEMORY_KIB": "64",
    "SUUUPRA_FRAUD_SCORER_URL": "http://127.0.0.1:9/fraud/score", "SUUUPRA_FRAUD_TIMEOUT_MS": "100",
}


def bare_app():
    """The baseline: FastAPI returning a small JSON document, no database, no middleware."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/bare")
    def bare() -> dict:
        return {"items": [{"id": i, "title": f"course {i}"} for i in range(3)], "next_cursor": None}

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(target: str, env: dict[str, str], app_dir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", target, "--factory", "--port", str(port), "--log-level", "warning",
         "--app-dir", str(app_dir), "--no-access-log"],
        env={**os.environ, **env}, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/docs", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server {target} did not start")


async def _drive(base: str, requests: list[tuple[str, str, dict, dict | None]], concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue = asyncio.Queue()
    for r in requests:
        queue.put_nowait(r)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits, trust_env=False) as client:

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                method, path, headers, body = queue.get_nowait()
                t = time.perf_counter()
                resp = await client.request(method, path, headers=headers, json=body)
                latencies.append(time.perf_counter() - t)
                if resp.status_code >= 400:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / elapsed,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000}


def _seed(data_dir: Path, database_url: str, learners: int) -> tuple[list[dict], list[str]]:
    """Migrate, create an instructor with 60 published courses and ``learners`` buyers with a cart."""
    os.environ.update({"SUUUPRA_DATA_DIR": str(data_dir), "SUUUPRA_DATABASE_URL": database_url, **FAST_ENV})
    from apps_api.config import ApiConfig
    from apps_api.db import new_id
    from apps_api.main import build_state
    from apps_api.migrate import upgrade
    from apps_api.models import Course, Lesson, Module
    from apps_api.security import create_access_token
    from apps_api.services.commerce import add_to_cart
    from apps_api.services.identity import create_user
    from suuupra.settings import get_settings

    upgrade(database_url)
    state = build_state(get_settings(), ApiConfig())
    headers = []
    with state.db.begin() as s:
        ins = create_user(s, state, email=f"ins-{new_id('x')}@bench.io", password="password123", role="instructor")
        s.flush()
        course_ids = []
        for i in range(60):
            c = Course(id=new_id("crs"), instructor_id=ins.id, title=f"Course {i}", category="programming",
                       level="beginner", tags=["python"], price_minor=10_000 + i, status="published")
            s.add(c)
            m = Module(id=new_id("mod"), course_id=c.id, title="m")
            s.add(m)
            s.flush()
            s.add(Lesson(id=new_id("les"), module_id=m.id, course_id=c.id, title="l", duration_s=60))
            course_ids.append(c.id)
        for i in range(learners):
            u = create_user(s, state, email=f"b{i}-{new_id('x')}@bench.io", password="password123")
            s.flush()
            add_to_cart(s, u.id, course_ids[i % len(course_ids)])
            headers.append({"Authorization": f"Bearer {create_access_token(state.jwt_secret, u.id, 'learner', 3600)}",
                            "Idempotency-Key": f"bench-{i}"})
    state.db.dispose()
    return headers, course_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=600, help="requests for bare and browse each")
    parser.add_argument("--checkouts", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: SQLite (WAL) in a temp dir")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        url = args.database_url or f"sqlite:///{data_dir / 'bench.sqlite3'}"
        print(f"seeding {args.checkouts} buyers ...", flush=True)
        buyer_headers, _ = _seed(data_dir, url, args.checkouts)
        env = {"SUUUPRA_DATA_DIR": str(data_dir), "SUUUPRA_DATABASE_URL": url, **FAST_ENV}
        bare_proc, bare_base = _start("bench_api_throughput:bare_app", env, Path(__file__).resolve().parent)
        api_proc, api_base = _start("apps_api.main:create_app", env, ROOT)
        try:
            warm = [("GET", "/bare", {}, None)] * 50
            asyncio.run(_drive(bare_base, warm, args.concurrency))
            asyncio.run(_drive(api_base, [("GET", "/api/v1/courses?limit=20", {}, None)] * 50, args.concurrency))
            print("measuring ...", flush=True)
            bare = asyncio.run(_drive(bare_base, [("GET", "/bare", {}, None)] * args.requests, args.concurrency))
            browse_reqs = [("GET", f"/api/v1/courses?limit=20&level=beginner&tag=python{'&free=false' if i % 2 else ''}",
                            {}, None) for i in range(args.requests)]
            browse = asyncio.run(_drive(api_base, browse_reqs, args.concurrency))
            body = {"payment": {"method": "card", "card_token": "tok_visa"}}
            checkout = asyncio.run(_drive(api_base, [("POST", "/api/v1/checkout", h, body) for h in buyer_headers],
                                          args.concurrency))
        finally:
            for proc in (bare_proc, api_proc):
                proc.terminate()
                proc.wait(timeout=20)

    rows = []
    for name, res in (("bare FastAPI JSON (baseline)", bare), ("browse catalog GET /courses", browse),
                      ("checkout POST /checkout", checkout)):
        rows.append({"endpoint": name, "requests": res["requests"], "errors": res["errors"],
                     "rps": res["rps"], "p50_ms": res["p50_ms"], "p99_ms": res["p99_ms"],
                     "rps_ratio_vs_bare": res["rps"] / bare["rps"],
                     "p50_ratio_vs_bare": res["p50_ms"] / bare["p50_ms"],
                     "p99_ratio_vs_bare": res["p99_ms"] / bare["p99_ms"]})
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    report("bench_api_throughput", f"API throughput at concurrency {args.concurrency} ({backend}, 1 uvicorn worker)",
           rows, notes="ratios are against the bare FastAPI endpoint served by the same uvicorn in the same run")


if __name__ == "__main__":
    main()
