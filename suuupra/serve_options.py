"""Ray actor options shared by the platform's Serve app builders.

Replicas are separate processes: the builder's ``env_vars`` (settings such as
``SUUUPRA_DATA_DIR``) must travel in the replica's ``runtime_env``, or a replica
started on an already-running Ray would read the cluster's environment instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def actor_options(num_cpus: float, env_vars: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``ray_actor_options`` for one deployment: its CPU share plus the settings it must see."""
    opts: dict[str, Any] = {"num_cpus": num_cpus}
    if env_vars:
        opts["runtime_env"] = {"env_vars": dict(env_vars)}
    return opts
