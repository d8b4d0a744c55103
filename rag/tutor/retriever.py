"""The retriever boundary: anything with the ``rag.search`` signature.

The real :func:`rag.search` is the default; the protocol exists so the pipeline
can be pointed at another index (a per-course one, or a remote search service)
without changing its code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rag.store import StoreLocation


@runtime_checkable
class Hit(Protocol):
    url: str
    title: str
    section: str
    text: str
    score: float
    chunk_id: str
    source: str
    course_id: str


class Retriever(Protocol):
    def __call__(self, query: str, k: int = 10, filters: dict[str, Any] | None = None) -> list[Any]: ...


def default_retriever(store: StoreLocation) -> Retriever:
    """The platform search API (hybrid dense + BM25) over the live index at ``store``."""
    import functools

    from rag import search

    return functools.partial(search, store=store)
