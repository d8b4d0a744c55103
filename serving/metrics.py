"""Prometheus metrics of the serving layer, exported through Ray's metrics agent.

``ray.util.metrics`` instruments are created lazily inside a replica (creating them
at import time would require a running Ray worker) and scraped with Ray's own
metrics (``ray_serve_*``) from each node's metrics export port, so Prometheus needs
one scrape job for everything Serve does. Names are prefixed ``suuupra_serving_``.
"""

from __future__ import annotations

import functools
from typing import Any

LATENCY_BOUNDARIES_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]
BATCH_BOUNDARIES = [1, 2, 4, 8, 16, 32, 64]


@functools.cache
def _instruments() -> dict[str, Any]:
    from ray.util.metrics import Counter, Gauge, Histogram

    return {
        "latency": Histogram(
            "suuupra_serving_request_latency_ms",
            description="End-to-end latency at the ingress per endpoint",
            boundaries=LATENCY_BOUNDARIES_MS,
            tag_keys=("endpoint", "status"),
        ),
        "batch": Histogram(
            "suuupra_serving_batch_size",
            description="Requests per @serve.batch call",
            boundaries=BATCH_BOUNDARIES,
            tag_keys=("deployment",),
        ),
        "fallback": Counter(
            "suuupra_serving_fallbacks_total",
            description="Answers given with missing features (fallback path)",
            tag_keys=("deployment",),
        ),
        "version": Gauge(
            "suuupra_serving_model_version",
            description="Registry version a replica serves (value = version number)",
            tag_keys=("deployment", "model"),
        ),
        "swaps": Counter(
            "suuupra_serving_model_swaps_total",
            description="Champion reloads per deployment",
            tag_keys=("deployment",),
        ),
    }


def _safe(fn):  # metrics must never break a request
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:
            pass

    return wrapper


@_safe
def observe_latency(endpoint: str, status: int, ms: float) -> None:
    _instruments()["latency"].observe(ms, tags={"endpoint": endpoint, "status": str(status)})


@_safe
def observe_batch(deployment: str, size: int) -> None:
    _instruments()["batch"].observe(size, tags={"deployment": deployment})


@_safe
def count_fallbacks(deployment: str, n: int) -> None:
    if n:
        _instruments()["fallback"].inc(n, tags={"deployment": deployment})


@_safe
def set_model_version(deployment: str, model: str, version: str) -> None:
    _instruments()["version"].set(float(version) if version.isdigit() else 0.0,
                                  tags={"deployment": deployment, "model": model})
    _instruments()["swaps"].inc(1, tags={"deployment": deployment})
