"""Online retrieval for serving: one call per request, never an exception.

``get_online_features(service, entity_rows)`` returns every feature of a
feature service for each entity row in one Feast call. Whatever happens — an
unknown entity, a value past its TTL, a slow or unreachable online store, a
malformed request — the caller gets a complete, typed answer: missing values
are replaced by per-feature defaults, each row says whether the entity was
unknown, and the result says whether it was cut off by the latency budget or
failed. Serving can then decide (e.g. fall back to a rule) without try/except.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from suuupra.settings import Settings

log = logging.getLogger(__name__)

#: Defaults that differ from the dtype default (0 / 0.0 / False / "").
FEATURE_DEFAULTS: dict[str, Any] = {
    "payment_request_features__amount_to_avg_ratio": 1.0,
    "payment_request_features__seconds_since_last_payment": -1.0,
    "payment_request_features__is_new_device": 1,
}
_DTYPE_DEFAULTS = {"Int64": 0, "Int32": 0, "Float64": 0.0, "Float32": 0.0, "Bool": False, "String": ""}


@dataclass
class OnlineFeatures:
    """Answer for one request: ``rows[i]`` holds every feature for ``entity_rows[i]``."""

    feature_service: str
    rows: list[dict[str, Any]]
    unknown_entity: list[bool]
    missing: list[list[str]]
    latency_ms: float
    timed_out: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.timed_out and self.error is None

    def to_frame(self):
        import pandas as pd

        frame = pd.DataFrame(self.rows)
        frame["unknown_entity"] = self.unknown_entity
        return frame


@dataclass
class _ServiceMeta:
    service: Any
    join_keys: list[str]
    features: list[str]  # full names, in service order
    defaults: dict[str, Any]
    stored: set[str]  # features backed by the online store (not on-demand)
    request_fields: list[str]
    store: Any = None  # the store it was read from: a rebuilt store (same config) reloads it
    loaded_at: float = field(default_factory=time.monotonic)


#: (store config, service name) -> metadata; see :class:`features.store.StoreConfig`.
_META: dict[tuple[Any, str], _ServiceMeta] = {}
_META_TTL_S = 60.0
_EXECUTOR = ThreadPoolExecutor(max_workers=8, thread_name_prefix="feast-online")
_LOCK = threading.Lock()


def _service_meta(store, store_key: Any, name: str) -> _ServiceMeta:
    key = (store_key, name)
    meta = _META.get(key)
    if meta is not None and meta.store is store and time.monotonic() - meta.loaded_at < _META_TTL_S:
        return meta
    service = store.get_feature_service(name, allow_cache=True)
    odfv_names = {v.name for v in store.list_on_demand_feature_views(allow_cache=True)}
    features, defaults, stored, request = [], {}, [], []
    for proj in service.feature_view_projections:
        view = proj.name_to_use()
        for f in proj.features:
            full = f"{view}__{f.name}"
            features.append(full)
            defaults[full] = FEATURE_DEFAULTS.get(full, _DTYPE_DEFAULTS.get(str(f.dtype), None))
            if proj.name not in odfv_names:
                stored.append(full)
    if service.tags.get("request"):
        request = service.tags["request"].split(",")
    join_keys = [k for k in service.tags.get("entities", "").split(",") if k]
    meta = _ServiceMeta(service, join_keys, features, defaults, set(stored), request, store)
    with _LOCK:
        _META[key] = meta
    return meta


def _defaults_answer(meta, n, service_name, started, *, timed_out=False, error=None) -> OnlineFeatures:
    rows = [dict(meta.defaults) for _ in range(n)]
    return OnlineFeatures(
        feature_service=service_name,
        rows=rows,
        unknown_entity=[True] * n,
        missing=[list(meta.features) for _ in range(n)],
        latency_ms=(time.perf_counter() - started) * 1000,
        timed_out=timed_out,
        error=error,
    )


def _prepare_rows(meta: _ServiceMeta, entity_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    now = int(time.time())
    prepared = []
    for i, row in enumerate(entity_rows):
        out: dict[str, Any] = {}
        for k in meta.join_keys:
            if row.get(k) is None:
                raise ValueError(f"entity row {i} has no {k!r}")
            out[k] = str(row[k])
        if meta.request_fields:
            out["payment_device_id"] = str(row.get("payment_device_id", row.get("device_id", "")))
            out["request_unix_ts"] = int(row.get("request_unix_ts") or now)
            if row.get("amount_minor") is None:
                raise ValueError(f"entity row {i} has no 'amount_minor' (request field)")
            out["amount_minor"] = float(row["amount_minor"])
        prepared.append(out)
    return prepared


def _fetch(store, meta: _ServiceMeta, rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return store.get_online_features(features=meta.service, entity_rows=rows, full_feature_names=True).to_dict()


def get_online_features(
    feature_service: str,
    entity_rows: list[dict[str, Any]],
    settings: Settings,
    *,
    budget_ms: float | None = None,
) -> OnlineFeatures:
    """All features of ``feature_service`` for ``entity_rows``; never raises.

    ``entity_rows`` carry the service's join keys (``learner_id``...) and, for
    ``fraud_v1``, the request fields (``amount_minor``; ``payment_device_id``
    defaults to ``device_id`` and ``request_unix_ts`` to now). Past
    ``budget_ms`` (default ``settings.feast_online_budget_ms``) the call returns
    defaults with ``timed_out=True``.
    """
    started = time.perf_counter()
    n = len(entity_rows)
    try:
        from features.store import StoreConfig, get_store

        budget = (budget_ms if budget_ms is not None else settings.feast_online_budget_ms) / 1000
        store = get_store(settings)
        meta = _service_meta(store, StoreConfig.of(settings), feature_service)
    except Exception as exc:  # unknown service, registry unreachable, bad settings
        log.warning("online features for %s unavailable: %s", feature_service, exc)
        return OnlineFeatures(feature_service, [{} for _ in range(n)], [True] * n, [[] for _ in range(n)],
                              (time.perf_counter() - started) * 1000, error=f"{type(exc).__name__}: {exc}")
    if n == 0:
        return OnlineFeatures(feature_service, [], [], [], (time.perf_counter() - started) * 1000)
    try:
        rows = _prepare_rows(meta, entity_rows)
    except (ValueError, TypeError) as exc:
        return _defaults_answer(meta, n, feature_service, started, error=f"bad request: {exc}")

    future = _EXECUTOR.submit(_fetch, store, meta, rows)
    remaining = budget - (time.perf_counter() - started)
    try:
        data = future.result(timeout=max(remaining, 0.0))
    except FutureTimeout:
        future.cancel()
        log.warning("online features for %s exceeded %.0f ms budget", feature_service, budget * 1000)
        return _defaults_answer(meta, n, feature_service, started, timed_out=True)
    except Exception as exc:
        log.warning("online features for %s failed: %s", feature_service, exc)
        return _defaults_answer(meta, n, feature_service, started, error=f"{type(exc).__name__}: {exc}")

    out_rows, unknown, missing = [], [], []
    for i in range(n):
        row, miss = {}, []
        for name in meta.features:
            value = data.get(name, [None] * n)[i]
            if value is None or (isinstance(value, float) and value != value):
                miss.append(name)
                value = meta.defaults[name]
            row[name] = value
        out_rows.append(row)
        missing.append(miss)
        stored_missing = sum(1 for m in miss if m in meta.stored)
        unknown.append(bool(meta.stored) and stored_missing == len(meta.stored))
    return OnlineFeatures(feature_service, out_rows, unknown, missing, (time.perf_counter() - started) * 1000)
