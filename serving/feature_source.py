"""Online features for one request (or one batch) via ``features.online``.

The feature team's ``get_online_features(service, entity_rows)`` answers all
features of a feature service in one call and never raises: missing values are
replaced by defaults and listed per row, unknown entities are flagged, and a
slow store is cut off at its latency budget. Serving adds two things:

* defaults are *removed* from what the deployments see (``published`` defaulting
  to ``False`` for a course the store has never seen must not hide the course);
  a feature that is absent means "unknown", not "false";
* the first call builds the Feast store (imports, registry): that happens in a
  background warm-up started with the replica, never on a request. Until it is
  done, and for ``retry_after_s`` after a failure, lookups answer
  ``available=False`` at once so the callers take their fallback.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from suuupra.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class FeatureRows:
    """Known (non-defaulted) features per entity row, in request order."""

    rows: list[dict[str, Any]]
    unknown: list[bool]
    available: bool = True
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def missing(cls, n: int, error: str) -> FeatureRows:
        return cls(rows=[{} for _ in range(n)], unknown=[True] * n, available=False, error=error)


def from_online(result: Any) -> FeatureRows:
    """Convert ``features.online.OnlineFeatures`` (dropping defaulted values)."""
    n = len(result.rows)
    if not result.ok:
        out = FeatureRows.missing(n, result.error or ("timed out" if result.timed_out else "failed"))
        out.timings["features_ms"] = float(result.latency_ms)
        return out
    rows = []
    for row, missing in zip(result.rows, result.missing, strict=True):
        gone = set(missing)
        rows.append({k: v for k, v in row.items() if k not in gone})
    return FeatureRows(rows, [bool(u) for u in result.unknown_entity],
                       timings={"features_ms": float(result.latency_ms)})


class OnlineFeatureClient:
    """One feature service (``recommender_v1`` or ``fraud_v1``) of ``settings``' store, seen from serving."""

    def __init__(self, service: str, settings: Settings, retry_after_s: float = 30.0,
                 budget_ms: float | None = None, warmup_row: dict[str, Any] | None = None) -> None:
        self.service = service
        self.settings = settings
        self.warmup_row = warmup_row
        self.retry_after_s = retry_after_s
        self.budget_ms = budget_ms
        self._ready = threading.Event()
        self._broken_until = 0.0
        self.last_error: str | None = None

    def warm_up(self, background: bool = True) -> None:
        """Build the store once, off the request path."""
        if background:
            threading.Thread(target=self.warm_up, args=(False,), name=f"feast-warmup-{self.service}",
                             daemon=True).start()
            return
        try:
            from features.online import get_online_features

            res = get_online_features(self.service, [], self.settings)  # builds the store and the service metadata
            if res.error:
                self._fail(res.error)
            elif self.warmup_row is not None:  # one real read: opens the online store connection
                get_online_features(self.service, [self.warmup_row], self.settings, budget_ms=30_000)
        except Exception as exc:  # module missing or broken: fall back forever-ish
            self._fail(f"{type(exc).__name__}: {exc}")
        finally:
            self._ready.set()

    def _fail(self, error: str) -> None:
        self.last_error = error
        self._broken_until = time.monotonic() + self.retry_after_s
        log.warning("online features %s unavailable: %s", self.service, error)

    def get(self, entity_rows: list[dict[str, Any]]) -> FeatureRows:
        """Features for ``entity_rows``; never raises, never waits for a warm-up."""
        n = len(entity_rows)
        if not self._ready.is_set():
            return FeatureRows.missing(n, "feature store warming up")
        if time.monotonic() < self._broken_until:
            return FeatureRows.missing(n, self.last_error or "feature store unavailable")
        try:
            from features.online import get_online_features

            kwargs = {"budget_ms": self.budget_ms} if self.budget_ms is not None else {}
            out = from_online(get_online_features(self.service, entity_rows, self.settings, **kwargs))
        except Exception as exc:
            self._fail(f"{type(exc).__name__}: {exc}")
            return FeatureRows.missing(n, self.last_error or "")
        if not out.available and out.error and "timed out" not in out.error:
            self._fail(out.error)
        return out
