"""Where serving gets its models: the MLflow registry's ``champion`` alias.

Why a small adapter instead of calling MLflow from the deployments: the deployments
only need two questions answered — "which version is champion now?" (cheap, polled)
and "give me version N" (expensive, done off the request path) — and keeping them
behind :class:`ChampionSource` lets a deployment swap models atomically without
knowing how the models team stores them. Loading goes through
``models.registry.load_version`` (the models team's API), told the registry's URI
by value, so one process can follow two registries (a test's and the default one).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from suuupra.settings import Settings

log = logging.getLogger(__name__)

CHAMPION_ALIAS = "champion"
RECOMMENDER_MODEL = "suuupra-recommender"
FRAUD_MODEL = "suuupra-fraud"


class NoChampionError(LookupError):
    """The registry has no version carrying the alias (nothing trained/promoted yet)."""


@dataclass(frozen=True)
class LoadedModel:
    """A model object plus the registry coordinates it came from."""

    name: str
    version: str
    model: Any
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def label(self) -> str:
        """What every response reports as ``model_version``: ``name/vN``."""
        return f"{self.name}/v{self.version}"


class ChampionSource:
    """Resolve and load versions of one registered model."""

    def __init__(self, name: str, tracking_uri: str, alias: str = CHAMPION_ALIAS) -> None:
        if not tracking_uri:
            raise ValueError(f"no MLflow tracking URI for {name!r}")
        self.name = name
        self.alias = alias
        self.tracking_uri = tracking_uri
        self._client: Any = None

    def _mlflow(self) -> Any:
        if self._client is None:
            from mlflow import MlflowClient

            self._client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        return self._client

    def resolve_version(self) -> str:
        """Version number the alias points at now; :class:`NoChampionError` if none."""
        from mlflow.exceptions import MlflowException

        try:
            mv = self._mlflow().get_model_version_by_alias(self.name, self.alias)
        except MlflowException as exc:
            raise NoChampionError(
                f"registered model {self.name!r} has no {self.alias!r} alias at {self.tracking_uri}: {exc}"
            ) from None
        return str(mv.version)

    def load(self, version: str) -> LoadedModel:
        """Load ``version`` (blocking; call it off the request path)."""
        return LoadedModel(self.name, str(version), self._load_object(str(version)))

    def _load_object(self, version: str) -> Any:
        from models.registry import load_version  # the models team's loader

        return _unwrap(load_version(self.name, version, tracking_uri=self.tracking_uri))


def _unwrap(obj: Any) -> Any:
    """Reach the domain model (``recommend``/``predict_proba``) inside MLflow wrappers."""
    if isinstance(obj, tuple):
        obj = obj[0]
    for _ in range(3):
        if hasattr(obj, "recommend") or hasattr(obj, "predict_proba"):
            return obj
        if hasattr(obj, "unwrap_python_model"):
            obj = obj.unwrap_python_model()
            continue
        inner = getattr(obj, "model", None)
        if inner is None:
            break
        obj = inner
    return obj


class HotSwapModel:
    """Holds the model a replica serves and swaps it when the champion moves.

    Requests read :attr:`current` once and use that object to the end, so a swap
    never affects a request in flight (no lock on the request path). A background
    thread polls :meth:`ChampionSource.resolve_version` every ``poll_interval_s``
    and loads a new version *before* publishing it; a failed load keeps serving the
    old version and records the error for ``/status`` and health checks.
    """

    def __init__(
        self,
        source: ChampionSource,
        poll_interval_s: float = 10.0,
        on_swap: Callable[[LoadedModel], None] | None = None,
    ) -> None:
        self.source = source
        self.poll_interval_s = poll_interval_s
        self.pinned_version: str | None = None
        self.current: LoadedModel | None = None
        self.last_error: str | None = None
        self.last_check: datetime | None = None
        self._on_swap = on_swap
        self._swap_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- control
    def start(self) -> None:
        """Try a first load synchronously, then keep polling in the background."""
        self.refresh()
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=f"champion-{self.source.name}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def configure(self, poll_interval_s: float | None = None, pinned_version: str | None = None) -> None:
        """Apply Serve ``user_config``: a pinned version wins over the alias."""
        if poll_interval_s is not None:
            self.poll_interval_s = poll_interval_s
        changed = pinned_version != self.pinned_version
        self.pinned_version = pinned_version
        if changed:
            self.refresh()

    def request_refresh(self) -> None:
        """Ask the poller to check now (used by the reload endpoint)."""
        self._wake.set()

    # ---------------------------------------------------------------- polling
    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_interval_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            self.refresh()

    def refresh(self) -> bool:
        """Load the wanted version if it differs from the served one; True if swapped."""
        with self._swap_lock:
            self.last_check = datetime.now(UTC)
            try:
                wanted = self.pinned_version or self.source.resolve_version()
                if self.current is not None and self.current.version == wanted:
                    self.last_error = None
                    return False
                loaded = self.source.load(wanted)
            except Exception as exc:  # keep serving the old model; surface the reason
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("champion refresh for %s failed: %s", self.source.name, self.last_error)
                return False
            old = self.current.label if self.current else None
            self.current = loaded  # single reference assignment: atomic for readers
            self.last_error = None
        log.info("serving %s (was %s)", loaded.label, old)
        if self._on_swap is not None:
            self._on_swap(loaded)
        return True

    def status(self) -> dict[str, Any]:
        cur = self.current
        return {
            "model_name": self.source.name,
            "model_version": cur.label if cur else None,
            "loaded_at": cur.loaded_at.isoformat() if cur else None,
            "last_check": self.last_check.isoformat() if self.last_check else None,
            "last_error": self.last_error,
            "pinned": self.pinned_version is not None,
        }


def register_for_serving(
    settings: Settings,
    name: str,
    model: Any,
    input_example: Any,
    alias: str | None = CHAMPION_ALIAS,
    metrics: dict[str, float] | None = None,
) -> str:
    """Publish ``model`` to ``settings``' registry as a new version, move ``alias`` to it, return it.

    Goes through the models team's ``models.registry.log_training_run`` (the same
    pyfunc layout :meth:`ChampionSource.load` reads), then moves the alias directly:
    this is the operator's "force this version live" path, used by the serving
    benchmarks and tests. Regular promotion goes through ``promote_if_better``.
    """
    from mlflow import MlflowClient

    from models.registry import log_training_run

    logged = log_training_run(
        model, settings=settings, name=name, params={"published_by": "serving"}, metrics=metrics or {},
        input_example=input_example, run_name="serving-publish",
    )
    if alias:
        uri = str(settings.mlflow_tracking_uri)
        MlflowClient(tracking_uri=uri, registry_uri=uri).set_registered_model_alias(name, alias, logged.version)
    return str(logged.version)
