"""The manifest of a saved model directory: which kind of model, in which format.

Every model we persist is a directory: the kind's own files (arrays, weights) plus
``model.json``, whose ``kind`` and ``format_version`` keys say what the directory
holds. Both kinds (recommender, fraud) write and check that manifest here, so a
loader handed the wrong directory, or one written by a newer format, fails with one
sentence naming the directory instead of a ``KeyError`` deep in the loader. The
file name and keys are the saved format: changing them breaks every registered
model version.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

MANIFEST = "model.json"


class ArtifactError(ValueError):
    """A directory that is not a saved model of the expected kind and format."""


def json_default(value: Any) -> Any:
    """JSON for what ``json`` cannot encode: numpy scalars/arrays as numbers, else ``str``."""
    import numpy as np

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def write_manifest(directory: str | Path, kind: str, format_version: int, **meta: Any) -> Path:
    """Write ``model.json`` (``kind``, ``format_version`` and ``meta``) into ``directory``.

    The directory is created if needed; returns it.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    body = {"format_version": format_version, "kind": kind, **meta}
    (directory / MANIFEST).write_text(json.dumps(body, default=json_default))
    return directory


def read_manifest(
    directory: str | Path, expected_kind: str, supported_versions: Collection[int]
) -> dict[str, Any]:
    """The manifest of ``directory``, checked to be a ``expected_kind`` model we can read.

    Raises :class:`FileNotFoundError` when there is no manifest and
    :class:`ArtifactError` when it is unreadable, of another kind, or of a format
    version outside ``supported_versions``; each message names the directory.
    """
    directory = Path(directory)
    path = directory / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"no {expected_kind} model at {directory} (missing {MANIFEST})")
    try:
        meta = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path} is not a readable model manifest: {exc}") from None
    if not isinstance(meta, dict):
        raise ArtifactError(f"{path} is not a model manifest (expected a JSON object)")
    kind = meta.get("kind")
    if kind != expected_kind:
        raise ArtifactError(f"{directory} holds a {kind!r} model, not a {expected_kind!r} model")
    version = meta.get("format_version")
    if version not in supported_versions:
        raise ArtifactError(
            f"{directory} is a {expected_kind} model of format {version!r}; this code reads "
            f"format(s) {sorted(supported_versions)}"
        )
    return meta
