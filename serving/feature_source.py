"""Online features for one request (or one batch) through the feature store's API.

The feature team's ``features.online`` module answers "all features of a feature
service for these entities" in one call, with defaults for missing values and an
unknown-entity flag. Serving must keep answering when the online store is down or
not materialised yet, so every failure here becomes ``available=False`` (the
callers then take their documented fallback) instead of an exception on the
request path.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

_CANDIDATES = ("get_online_features", "online_features", "get_features", "fetch")
_RETRY_AFTER_S = 30.0


@dataclass
class FeatureRows:
    """Features per entity row, in request order."""

    rows: list[dict[str, Any]]
    unknown: list[bool]
    available: bool = True
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def missing(cls, n: int, error: str) -> FeatureRows:
        return cls(rows=[{} for _ in range(n)], unknown=[True] * n, available=False, error=error)


def _normalise(result: Any, n: int) -> tuple[list[dict[str, Any]], list[bool]]:
    """Accept the shapes the feature API may return: an object, a dict or a DataFrame."""
    rows = getattr(result, "rows", None)
    unknown = getattr(result, "unknown", None)
    if rows is None and hasattr(result, "to_dict") and hasattr(result, "columns"):
        rows = result.to_dict(orient="records")
    if rows is None and isinstance(result, dict):
        rows = result.get("rows")
        unknown = result.get("unknown", unknown)
    if rows is None:
        rows = list(result)
    rows = [dict(r) for r in rows]
    if unknown is None:
        unknown = [
            bool(r.pop("unknown_entity", r.pop("_unknown", r.pop("is_unknown", False)))) for r in rows
        ]
    if len(rows) != n:
        raise ValueError(f"feature service returned {len(rows)} rows for {n} entities")
    return rows, [bool(u) for u in unknown]


class OnlineFeatureClient:
    """One feature service (``recommender_v1`` or ``fraud_v1``) seen from serving."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._fn: Any = None
        self._broken_until = 0.0
        self._last_error: str | None = None

    def _resolve(self) -> Any:
        if self._fn is None:
            from features import online  # the feature team's module

            for name in _CANDIDATES:
                fn = getattr(online, name, None)
                if callable(fn):
                    self._fn = fn
                    break
            else:
                raise ImportError(f"features.online exposes none of {_CANDIDATES}")
        return self._fn

    def get(self, entity_rows: list[dict[str, Any]]) -> FeatureRows:
        """Features for ``entity_rows``; never raises (see module docstring)."""
        n = len(entity_rows)
        if time.monotonic() < self._broken_until:
            return FeatureRows.missing(n, self._last_error or "feature store unavailable")
        started = time.perf_counter()
        try:
            fn = self._resolve()
            rows, unknown = _normalise(fn(self.service, entity_rows), n)
        except Exception as exc:  # store down, not materialised, module missing
            self._last_error = f"{type(exc).__name__}: {exc}"
            # Don't hammer (and slow every request on) a store that is down.
            self._broken_until = time.monotonic() + _RETRY_AFTER_S
            log.warning("online features %s unavailable: %s", self.service, self._last_error)
            return FeatureRows.missing(n, self._last_error)
        return FeatureRows(rows, unknown, timings={"features_ms": (time.perf_counter() - started) * 1000})
