"""Run configuration for a whole-platform build (``suuupra pipeline run``)."""

from __future__ import annotations

from typing import Any


def pipeline_run_config(scale: int = 1, quick: bool = False) -> dict[str, Any]:
    """Per-asset config: the demo scale, and small sizes when ``quick``."""
    ops: dict[str, Any] = {"demo_events": {"config": {"scale": scale, "days": 14 if quick else 28}}}
    return {"ops": ops}
