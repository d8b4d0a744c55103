"""Run configuration for a whole-platform build (``suuupra pipeline run``)."""

from typing import Any


def pipeline_run_config(scale: int = 1, quick: bool = False) -> dict[str, Any]:
    """Per-asset config: the demo scale, and small sizes when ``quick`` (tests, smoke runs).

    The full build crawls and indexes all 530 pages of the Python docs; a quick
    build crawls a bounded slice so the whole graph still runs end to end.
    """
    ops: dict[str, Any] = {"demo_events": {"config": {"scale": scale, "days": 14 if quick else 28}}}
    if quick:
        ops["python_docs_pages"] = {"config": {"max_pages": 25}}
    return {"ops": ops}
