"""Ray Serve deployments of the model services (no HTTP here; the ingress owns HTTP).

Each model deployment:

* serves the registry's ``champion`` through :class:`~serving.model_source.HotSwapModel`
  (background polling; a new version is loaded first and swapped in with a single
  reference assignment, so requests in flight finish on the version they started
  with and nothing is dropped);
* takes its knobs from Serve ``user_config`` (``reconfigure``): poll interval, a
  pinned ``model_version`` (rollback without touching the registry) and, for fraud,
  batching parameters, all changeable on a live app without restarting replicas;
* implements ``check_health``: Serve restarts a replica whose poller thread died or
  whose model stopped answering a self-test.

Handles carry typed values both ways (:mod:`serving.schemas` models). A request a
deployment cannot answer raises :class:`~serving.errors.ServingError` (e.g.
``ModelUnavailable`` before any champion is loaded); the ingress maps it to
problem+json.

A replica's ``__init__`` is where its settings are read (``SUUUPRA_*`` of the replica
process, which the builder's ``runtime_env`` sets); everything below gets them by value.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from ray import serve

from serving import metrics
from serving.model_source import FRAUD_MODEL, RECOMMENDER_MODEL, ChampionSource, HotSwapModel, LoadedModel
from serving.schemas import (
    DeploymentStatus,
    FraudScoreRequest,
    FraudScoreResponse,
    RecommendationRequest,
    RecommendationResponse,
)

if TYPE_CHECKING:
    from suuupra.settings import Settings

log = logging.getLogger(__name__)


class ModelUserConfig(BaseModel):
    """Serve ``user_config`` of the model deployments (validated in ``reconfigure``)."""

    poll_interval_s: float = Field(default=5.0, gt=0, description="how often to check the champion alias")
    model_version: str | None = Field(default=None, description="pin a registry version; None = champion")
    max_batch_size: int = Field(default=16, ge=1, le=256, description="fraud: 1 disables batching")
    batch_wait_timeout_s: float = Field(default=0.005, ge=0, le=1)
    explain: bool = Field(default=True, description="fraud: compute reason codes")


def _replica_settings() -> Settings:
    """The replica's settings, from its own environment (a replica is an edge)."""
    from suuupra.settings import load_settings

    return load_settings()


class _ModelDeployment:
    deployment_name = ""

    def _init_model(self, model_name: str, tracking_uri: str) -> None:
        self.holder = HotSwapModel(ChampionSource(model_name, tracking_uri), on_swap=self._on_swap)
        self.holder.start()

    def _on_swap(self, loaded: LoadedModel) -> None:
        metrics.set_model_version(self.deployment_name, loaded.name, loaded.version)

    def _apply_config(self, config: dict[str, Any] | None) -> ModelUserConfig:
        cfg = ModelUserConfig.model_validate(config or {})
        self.holder.configure(poll_interval_s=cfg.poll_interval_s, pinned_version=cfg.model_version)
        return cfg

    def status(self) -> DeploymentStatus:
        return DeploymentStatus(name=self.deployment_name, **self.holder.status())

    def reload(self) -> DeploymentStatus:
        """Check the alias now (the Dagster sensor calls this when the champion moves)."""
        self.holder.refresh()
        return self.status()

    def _check_poller(self) -> None:
        thread = self.holder._thread
        if thread is None or not thread.is_alive():
            raise RuntimeError("champion poller thread is not running")


@serve.deployment(
    name="Recommender",
    max_ongoing_requests=32,
    health_check_period_s=5,
    health_check_timeout_s=10,
    graceful_shutdown_timeout_s=10,
    ray_actor_options={"num_cpus": 0},
    user_config={"poll_interval_s": 5.0},
)
class Recommender(_ModelDeployment):
    deployment_name = "Recommender"

    def __init__(self, model_name: str = RECOMMENDER_MODEL, tracking_uri: str | None = None,
                 log_events: bool = True) -> None:
        from serving.catalog import CourseCatalog
        from serving.event_sink import EventSink
        from serving.feature_source import OnlineFeatureClient
        from serving.recommender import FEATURE_SERVICE, WARMUP_ROW

        self.settings = _replica_settings()
        self.features = OnlineFeatureClient(FEATURE_SERVICE, self.settings, warmup_row=WARMUP_ROW)
        self.features.warm_up()
        self.catalog = CourseCatalog.from_lake(self.settings)
        self.sink = EventSink(self.settings) if log_events else None
        self._init_model(model_name, tracking_uri or str(self.settings.mlflow_tracking_uri))

    def _on_swap(self, loaded: LoadedModel) -> None:
        super()._on_swap(loaded)
        from serving.catalog import CourseCatalog

        self.catalog = CourseCatalog.from_lake(self.settings)  # new model, fresh view of the catalogue

    def reconfigure(self, config: dict[str, Any]) -> None:
        self._apply_config(config)

    def _recommend_sync(self, request: RecommendationRequest) -> RecommendationResponse:
        from serving.recommender import candidates, entity_rows, finalize, served_event

        loaded = self.holder.current  # read once: the whole request uses this version
        rows, known = candidates(loaded, request)  # ModelUnavailable (503) before any champion
        feats = self.features.get(entity_rows(request, rows))  # one call for all candidates
        response = finalize(loaded, request, rows, known, feats, self.catalog)
        if response.features_missing:
            metrics.count_fallbacks(self.deployment_name, 1)
        if self.sink is not None:
            self.sink.emit(served_event(response))
        return response

    async def recommend(self, request: RecommendationRequest) -> RecommendationResponse:
        return await asyncio.to_thread(self._recommend_sync, request)

    async def check_health(self) -> None:
        self._check_poller()
        loaded = self.holder.current
        if loaded is not None:
            # a self-test through the real model catches a wedged/corrupt replica
            await asyncio.wait_for(asyncio.to_thread(loaded.model.recommend, ["__health__"], 1), timeout=5)

    def __del__(self) -> None:
        holder = getattr(self, "holder", None)
        if holder is not None:
            holder.stop()
        sink = getattr(self, "sink", None)
        if sink is not None:
            sink.close()


@serve.deployment(
    name="FraudScorer",
    max_ongoing_requests=64,
    health_check_period_s=5,
    health_check_timeout_s=10,
    graceful_shutdown_timeout_s=10,
    ray_actor_options={"num_cpus": 0},
    user_config={"poll_interval_s": 5.0, "max_batch_size": 16, "batch_wait_timeout_s": 0.005},
)
class FraudScorer(_ModelDeployment):
    deployment_name = "FraudScorer"

    def __init__(self, model_name: str = FRAUD_MODEL, tracking_uri: str | None = None) -> None:
        from serving.feature_source import OnlineFeatureClient
        from serving.fraud import FEATURE_SERVICE, WARMUP_ROW

        self.settings = _replica_settings()
        self.features = OnlineFeatureClient(FEATURE_SERVICE, self.settings, warmup_row=WARMUP_ROW)
        self.features.warm_up()
        self.explain = True
        self._init_model(model_name, tracking_uri or str(self.settings.mlflow_tracking_uri))

    def reconfigure(self, config: dict[str, Any]) -> None:
        cfg = self._apply_config(config)
        self.explain = cfg.explain
        self._score_batch.set_max_batch_size(cfg.max_batch_size)
        self._score_batch.set_batch_wait_timeout_s(cfg.batch_wait_timeout_s)

    def _score_sync(self, requests: list[FraudScoreRequest]) -> list[FraudScoreResponse]:
        from serving.fraud import entity_rows, score_batch

        loaded = self.holder.current
        feats = self.features.get(entity_rows(requests))
        # ModelUnavailable (503) before any champion: Serve raises it to every caller of the batch
        out = score_batch(loaded, requests, feats, explain=self.explain)
        metrics.count_fallbacks(self.deployment_name, sum(1 for r in out if r.fallback))
        return out

    @serve.batch(max_batch_size=16, batch_wait_timeout_s=0.005)
    async def _score_batch(self, requests: list[FraudScoreRequest]) -> list[FraudScoreResponse]:
        metrics.observe_batch(self.deployment_name, len(requests))
        return await asyncio.to_thread(self._score_sync, requests)

    async def score(self, request: FraudScoreRequest) -> FraudScoreResponse:
        return await self._score_batch(request)

    async def check_health(self) -> None:
        self._check_poller()

    def __del__(self) -> None:
        holder = getattr(self, "holder", None)
        if holder is not None:
            holder.stop()


@serve.deployment(name="NoOp", max_ongoing_requests=64, ray_actor_options={"num_cpus": 0})
class NoOp:
    """Does nothing: the benchmark baseline for Ray Serve's own per-request cost."""

    async def __call__(self, request: Any) -> dict[str, Any]:
        return {"ok": True, "t": time.time()}
