"""Load-test the serving endpoints against a no-op Ray Serve deployment, same run.

For each concurrency level, a closed-loop async load generator keeps N requests in
flight for ``--seconds`` against:

* ``noop``: ``POST /noop`` — a Serve deployment that returns a constant (Ray's own
  HTTP proxy + replica cost: the baseline);
* ``recommendations``: ``POST /recommendations`` (ingress -> Recommender);
* ``fraud (batch=B)``: ``POST /fraud/score`` with ``@serve.batch`` max size B;
* ``fraud (batch=1)``: the same after reconfiguring max_batch_size=1 (batching off).

Reports p50/p99 latency and requests/s, and each endpoint's ratio to the no-op at the
same concurrency (our overhead over Ray's). Models are small ones trained here and
published to a throw-away MLflow registry, so the run is self-contained.

    .venv/bin/python benchmarks/bench_serving_endpoints.py                  # ~1-2 min
    .venv/bin/python benchmarks/bench_serving_endpoints.py --concurrency 1 8 32 64 --seconds 15
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "serving"))  # small-model helpers shared with the tests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    idx = min(len(values) - 1, max(0, int(round(q / 100 * (len(values) - 1)))))
    return values[idx]


async def _load(base: str, path: str, bodies: list[dict] | None, concurrency: int, seconds: float,
                headers: dict[str, str] | None = None) -> dict:
    import httpx

    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits, trust_env=False,
                                 headers=headers) as client:
        async def worker(n: int) -> None:
            nonlocal errors
            i = n
            while time.perf_counter() < stop_at:
                body = bodies[i % len(bodies)] if bodies else {}
                i += concurrency
                t0 = time.perf_counter()
                try:
                    r = await client.post(path, json=body)
                    ok = r.status_code == 200
                except Exception:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - t0) * 1000)
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": _percentile(latencies, 50),
        "p99_ms": _percentile(latencies, 99),
        "mean_ms": statistics.fmean(latencies) if latencies else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration per endpoint and concurrency")
    parser.add_argument("--batch-size", type=int, default=16, help="fraud max_batch_size when batching is on")
    parser.add_argument("--replicas", type=int, default=1, help="replicas per model deployment")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_serving_endpoints.json")
    args = parser.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    console = Console(width=150)
    tmp = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    os.environ.update({"SUUUPRA_DATA_DIR": str(tmp), "SUUUPRA_PROFILE": "local",
                       "SUUUPRA_SERVE_PORT": str(_free_port()), "HF_HUB_OFFLINE": "1"})
    from serving_test_models import (
        REC_EXAMPLE,
        fraud_example,
        learner_id,
        train_small_fraud,
        train_small_recommender,
    )

    from serving import runtime
    from serving.model_source import FRAUD_MODEL, RECOMMENDER_MODEL, register_for_serving
    from suuupra.settings import get_settings, reset_settings_cache

    reset_settings_cache()
    settings = get_settings()
    (tmp / "mlflow").mkdir()
    from mlflow import MlflowClient

    MlflowClient(settings.mlflow_tracking_uri, settings.mlflow_tracking_uri).search_registered_models()

    def publish() -> None:
        register_for_serving(settings, RECOMMENDER_MODEL, train_small_recommender(), REC_EXAMPLE)
        register_for_serving(settings, FRAUD_MODEL, train_small_fraud(), fraud_example())

    with console.status("training + publishing small models, starting Ray Serve..."):
        publisher = threading.Thread(target=publish)
        publisher.start()
        runtime.start(settings)
        app_args = {"poll_interval_s": 1.0, "log_events": True, "request_timeout_s": 10}

        def deps(batch: int) -> list[dict]:
            return [
                {"name": "Ingress", "num_replicas": 1},
                {"name": "Recommender", "num_replicas": args.replicas, "user_config": {"poll_interval_s": 1.0}},
                {"name": "FraudScorer", "num_replicas": args.replicas,
                 "user_config": {"poll_interval_s": 1.0, "max_batch_size": batch, "batch_wait_timeout_s": 0.005}},
            ]

        runtime.apply_config(runtime.platform_config(settings, app_args, tutor=False, noop=True,
                                                     deployments=deps(args.batch_size)))
        publisher.join()
    base = runtime.base_url(settings)

    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/status", timeout=10, trust_env=False).json()["status"] == "ok":
                break
        except Exception:
            pass
        time.sleep(0.5)

    recs = [{"learner_id": learner_id(i) if i % 4 else f"new-{i}", "k": 10} for i in range(200)]
    pays = [{"learner_id": learner_id(i), "amount_minor": 1000 + 37 * i, "currency": "INR",
             "method": ["card", "upi", "wallet"][i % 3], "device_id": f"d{i % 17}", "ip": f"10.0.0.{i % 50}",
             "country": ["IN", "US", "NG"][i % 3], "occurred_at": f"2026-11-24T{i % 24:02d}:00:00Z"}
            for i in range(200)]

    results: list[dict] = []
    from serving.auth import bearer_headers

    auth = bearer_headers(settings.serve_service_token)  # /fraud/score needs it; sent to all for parity

    def run(endpoint: str, path: str, bodies: list[dict] | None) -> None:
        for c in args.concurrency:
            asyncio.run(_load(base, path, bodies, c, min(1.0, args.seconds), auth))  # warm-up
            res = asyncio.run(_load(base, path, bodies, c, args.seconds, auth))
            results.append({"endpoint": endpoint, "concurrency": c, **res})
            console.log(f"{endpoint:<22} c={c:<3} {res['rps']:8.1f} req/s  p50 {res['p50_ms']:7.1f} ms  "
                        f"p99 {res['p99_ms']:7.1f} ms  errors {res['errors']}")

    try:
        run("noop", "/noop", None)
        run("recommendations", "/recommendations", recs)
        run(f"fraud (batch={args.batch_size})", "/fraud/score", pays)
        # batching off: a user_config change, applied in place on the live replicas
        runtime.apply_config(runtime.platform_config(settings, app_args, tutor=False, noop=True,
                                                     deployments=deps(1)))
        run("fraud (batch=1)", "/fraud/score", pays)
    finally:
        runtime.shutdown()

    noop = {r["concurrency"]: r for r in results if r["endpoint"] == "noop"}
    table = Table(title="Serving endpoints vs a no-op Ray Serve deployment (same run)")
    for col in ("endpoint", "conc", "req/s", "p50 ms", "p99 ms", "errors", "p50 / noop", "req/s / noop"):
        table.add_column(col, justify="right" if col != "endpoint" else "left")
    for r in results:
        base_r = noop[r["concurrency"]]
        r["p50_ratio_vs_noop"] = r["p50_ms"] / base_r["p50_ms"] if base_r["p50_ms"] else float("nan")
        r["rps_ratio_vs_noop"] = r["rps"] / base_r["rps"] if base_r["rps"] else float("nan")
        table.add_row(r["endpoint"], str(r["concurrency"]), f"{r['rps']:.1f}", f"{r['p50_ms']:.1f}",
                      f"{r['p99_ms']:.1f}", str(r["errors"]), f"{r['p50_ratio_vs_noop']:.2f}x",
                      f"{r['rps_ratio_vs_noop']:.2f}x")
    console.print(table)
    on = {r["concurrency"]: r for r in results if r["endpoint"] == f"fraud (batch={args.batch_size})"}
    off = {r["concurrency"]: r for r in results if r["endpoint"] == "fraud (batch=1)"}
    batching = [{"concurrency": c, "rps_on": on[c]["rps"], "rps_off": off[c]["rps"],
                 "speedup": on[c]["rps"] / off[c]["rps"] if off[c]["rps"] else float("nan"),
                 "p99_on_ms": on[c]["p99_ms"], "p99_off_ms": off[c]["p99_ms"]} for c in args.concurrency]
    bt = Table(title=f"Fraud scoring: @serve.batch (max {args.batch_size}) vs off")
    for col in ("conc", "req/s on", "req/s off", "throughput x", "p99 on", "p99 off"):
        bt.add_column(col, justify="right")
    for b in batching:
        bt.add_row(str(b["concurrency"]), f"{b['rps_on']:.1f}", f"{b['rps_off']:.1f}", f"{b['speedup']:.2f}x",
                   f"{b['p99_on_ms']:.1f}", f"{b['p99_off_ms']:.1f}")
    console.print(bt)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "bench_serving_endpoints",
        "config": {"concurrency": args.concurrency, "seconds": args.seconds, "batch_size": args.batch_size,
                   "replicas": args.replicas, "cpus": os.cpu_count()},
        "results": results,
        "batching": batching,
        "note": "load generator runs on the same machine as Ray; ratios are the comparable numbers",
    }, indent=1))
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
