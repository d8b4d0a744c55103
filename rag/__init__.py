"""Search over crawled course material and documentation (hybrid dense + BM25 on Qdrant).

Public API (stable, used by the tutor)::

    from rag import StoreLocation, search, SearchHit
    store = StoreLocation.from_settings(settings)
    hits = search("how do I read a file line by line", k=5, filters={"source": "python-docs"}, store=store)

Where the index lives is always passed in (``store``), never read from process
settings, so one process can serve several stores and tests need no environment.
Importing :mod:`rag` is deliberately light: the embedding model and the Qdrant
client are created on first use, so Dagster/uvicorn imports stay fast.

The implementation lives in :mod:`rag.retrieval` (not ``rag/search.py``): a
submodule named ``search`` would shadow this ``search`` function on first import.
"""

from __future__ import annotations

from typing import Any

from rag.store import StoreLocation
from rag.types import Chunk, Document, SearchHit, Section

__all__ = [
    "Chunk", "Document", "SearchHit", "Section", "StoreLocation", "autocomplete", "index_documents", "search",
]  # fmt: skip


def search(
    query: str, k: int = 10, filters: dict[str, Any] | None = None, *, store: StoreLocation
) -> list[SearchHit]:
    """Hybrid search (dense MiniLM + BM25 sparse, fused with RRF); see :func:`rag.retrieval.search`."""
    from rag.retrieval import search as _search

    return _search(query, k=k, filters=filters, store=store)


def index_documents(docs: Any, *, store: StoreLocation, **kwargs: Any) -> Any:
    """Chunk, embed and upsert documents into the live index; see :func:`rag.index.index_documents`."""
    from rag.index import index_documents as _index

    return _index(docs, store=store, **kwargs)


def autocomplete(prefix: str, k: int = 8, *, store: StoreLocation) -> list[str]:
    """Title/section suggestions for a typed prefix; see :func:`rag.suggest.autocomplete`."""
    from rag.suggest import autocomplete as _ac

    return _ac(prefix, k=k, store=store)
