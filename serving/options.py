"""Deployment options shared by every Serve application builder of the platform.

Every builder's typed args extend :class:`ReplicaArgs`, so the CPU share and the
replica environment are spelled and applied the same way in every application
(``suuupra``, ``llm``, ``tutor``, ``noop``).

Why the environment travels explicitly: replicas are separate processes. The
builder's ``env_vars`` (settings such as ``SUUUPRA_DATA_DIR``) must go in the
replica's ``runtime_env``, or a replica started on an already-running Ray would
read the cluster's environment instead. Secrets never go here: Serve shows a
deployment's options in ``serve status`` and the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import AliasChoices, BaseModel, Field


def actor_options(num_cpus: float, env_vars: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``ray_actor_options`` for one deployment: its CPU share plus the settings it must see."""
    opts: dict[str, Any] = {"num_cpus": num_cpus}
    if env_vars:
        opts["runtime_env"] = {"env_vars": dict(env_vars)}
    return opts


class AutoscalingArgs(BaseModel):
    """Serve ``autoscaling_config`` of one deployment."""

    min_replicas: int = Field(default=1, ge=0)
    max_replicas: int = Field(default=4, ge=1)
    target_ongoing_requests: float = Field(default=8, gt=0)


def scale_options(replicas: int, autoscaling: AutoscalingArgs | None = None) -> dict[str, Any]:
    """``num_replicas`` (fixed) or Serve autoscaling, for ``Deployment.options``."""
    if autoscaling is not None:
        return {"num_replicas": "auto", "autoscaling_config": autoscaling.model_dump()}
    return {"num_replicas": replicas}


class ReplicaArgs(BaseModel):
    """Per-replica resources every builder accepts (the base of each app's typed args)."""

    num_cpus: float = Field(default=0.0, ge=0, description="CPUs reserved per replica (0 = share)")
    env_vars: dict[str, str] | None = Field(
        default=None,
        validation_alias=AliasChoices("env_vars", "env"),
        description="replica environment (SUUUPRA_* settings); never secrets",
    )

    def actor_options(self) -> dict[str, Any]:
        """``ray_actor_options`` of this app's deployments."""
        return actor_options(self.num_cpus, self.env_vars)
