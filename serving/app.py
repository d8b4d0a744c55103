"""Typed Ray Serve application builders (``serve run serving.app:build_app``).

Composition the Ray Serve way: the model deployments are bound first and passed as
handles into the ingress constructor, so each scales on its own. The tutor and its
LLM are separate applications on the same Serve instance (builders in
:mod:`serving.tutor_app` and :mod:`serving.llm`), listed next to this one in the YAML
configs under ``serving/config/``. Every builder's args extend
:class:`serving.options.ReplicaArgs`:

============  ==============  =======================================
application   route prefix    builder
============  ==============  =======================================
suuupra       ``/``           :func:`build_app`
llm           ``/llm``        ``serving.llm:build_llm_app``
tutor         ``/tutor``      ``serving.tutor_app:build_tutor_app``
noop          ``/noop``       :func:`build_noop_app` (benchmarks)
============  ==============  =======================================

Secrets never go in ``args`` (Serve shows a config's args in ``serve status`` and
the dashboard): :func:`build_app` reads the service token from the environment of
the process Serve builds the application in, and passes it by value to the ingress.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr
from ray.serve import Application

from serving.model_source import FRAUD_MODEL, RECOMMENDER_MODEL
from serving.options import AutoscalingArgs, ReplicaArgs, scale_options

__all__ = ["AutoscalingArgs", "NoOpArgs", "ServingArgs", "build_app", "build_noop_app", "compose_app"]


class ServingArgs(ReplicaArgs):
    """Arguments of :func:`build_app` (the ``args:`` block of a Serve config)."""

    tracking_uri: str | None = Field(default=None, description="MLflow URI; settings default")
    recommender_model: str = RECOMMENDER_MODEL
    fraud_model: str = FRAUD_MODEL
    ingress_replicas: int = Field(default=1, ge=1)
    recommender_replicas: int = Field(default=1, ge=1)
    fraud_replicas: int = Field(default=1, ge=1)
    autoscaling: AutoscalingArgs | None = Field(
        default=None, description="if set, replicas autoscale instead of the fixed counts"
    )
    poll_interval_s: float = Field(default=5.0, gt=0)
    recommender_version: str | None = Field(default=None, description="pin (rollback); None = champion")
    fraud_version: str | None = Field(default=None, description="pin (rollback); None = champion")
    fraud_max_batch_size: int = Field(default=16, ge=1, le=256)
    fraud_batch_wait_timeout_s: float = Field(default=0.005, ge=0, le=1)
    request_timeout_s: float = Field(default=2.0, gt=0)
    log_events: bool = True


def build_app(args: ServingArgs | dict[str, Any] | None = None) -> Application:
    """Serve entry point (``import_path: serving.app:build_app``).

    Serve calls a builder with the config's ``args`` only, so this is where the
    serving app's settings are read (``SUUUPRA_*`` / ``.env`` of the build
    process); everything below gets them by value. Invalid settings (e.g. a dev
    token in prod) fail the deploy here, naming the variable.
    """
    from suuupra.settings import load_settings  # the builder is an edge: it reads the settings

    a = args if isinstance(args, ServingArgs) else ServingArgs.model_validate(args or {})
    return compose_app(a, load_settings().serve_service_token)


def compose_app(a: ServingArgs, service_token: SecretStr) -> Application:
    """Ingress + recommender + fraud scorer, wired through handles."""
    from serving.deployments import FraudScorer, Recommender
    from serving.ingress import Ingress

    opts = a.actor_options()
    model_cfg = {"poll_interval_s": a.poll_interval_s}
    recommender = Recommender.options(
        ray_actor_options=opts, user_config={**model_cfg, "model_version": a.recommender_version},
        **scale_options(a.recommender_replicas, a.autoscaling),
    ).bind(a.recommender_model, a.tracking_uri, a.log_events)
    fraud = FraudScorer.options(
        ray_actor_options=opts,
        user_config={**model_cfg, "model_version": a.fraud_version, "max_batch_size": a.fraud_max_batch_size,
                     "batch_wait_timeout_s": a.fraud_batch_wait_timeout_s},
        **scale_options(a.fraud_replicas, a.autoscaling),
    ).bind(a.fraud_model, a.tracking_uri)
    return Ingress.options(ray_actor_options=opts, **scale_options(a.ingress_replicas, a.autoscaling)).bind(
        recommender, fraud, a.request_timeout_s, service_token=service_token
    )


class NoOpArgs(ReplicaArgs):
    replicas: int = Field(default=1, ge=1)


def build_noop_app(args: NoOpArgs | dict[str, Any] | None = None) -> Application:
    """A deployment that answers every request with a constant (benchmark baseline)."""
    from serving.deployments import NoOp

    a = args if isinstance(args, NoOpArgs) else NoOpArgs.model_validate(args or {})
    return NoOp.options(num_replicas=a.replicas, ray_actor_options=a.actor_options()).bind()
