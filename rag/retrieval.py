"""Hybrid retrieval: dense (MiniLM cosine) and BM25 (sparse) candidates fused by RRF.

Dense retrieval finds paraphrases ("read a file line by line" -> "iterate over
the file object"); BM25 nails exact identifiers (``os.path.join``, ``asyncio.gather``)
that a 384-d embedding blurs. Qdrant runs both prefetches and the Reciprocal Rank
Fusion in one request, so hybrid costs one round trip. ``mode`` exposes the single
retrievers for evaluation and benchmarking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from rag.store import DEFAULT_ALIAS, DENSE, SPARSE, StoreLocation
from rag.types import SearchHit

Mode = Literal["hybrid", "dense", "bm25"]
FILTER_FIELDS = ("course_id", "source", "content_type", "tags", "doc_id")
MAX_K = 100
MAX_QUERY_CHARS = 512
# Reciprocal Rank Fusion: score = sum over retrievers of 1 / (k - 1 + rank). Qdrant's default
# k=2 lets either retriever's top hit dominate; k=10 with 120 candidates per retriever was the
# one setting that beat both single retrievers on all three Python-docs query sets of the
# full-docs index (docs/search.md, "Retrieval evaluation on the full Python docs").
RRF_K = 10
MIN_CANDIDATES = 120


class InvalidQueryError(ValueError):
    """The query or its filters are unusable; the message says what to change."""


def build_filter(filters: Mapping[str, Any] | None):
    """Translate ``{"course_id": "c1", "tags": ["a", "b"]}`` into a Qdrant filter.

    Scalars must match exactly; a list means "any of" (for ``tags``: the chunk has
    at least one of the tags). Unknown keys are rejected rather than ignored, so a
    typo cannot silently widen a course-scoped search to the whole corpus.
    """
    if not filters:
        return None
    from qdrant_client import models

    unknown = set(filters) - set(FILTER_FIELDS)
    if unknown:
        raise InvalidQueryError(f"unknown filter(s) {sorted(unknown)}; allowed: {list(FILTER_FIELDS)}")
    must = []
    for key, value in filters.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            values = [str(v) for v in value]
            must.append(models.FieldCondition(key=key, match=models.MatchAny(any=values)))
        elif isinstance(value, str | int | bool):
            must.append(models.FieldCondition(key=key, match=models.MatchValue(value=str(value))))
        else:
            raise InvalidQueryError(f"filter {key!r} must be a string or a list of strings")
    return models.Filter(must=must) if must else None


def _validate(query: str, k: int) -> str:
    if not isinstance(query, str) or not query.strip():
        raise InvalidQueryError("query must be a non-empty string")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidQueryError(f"query is longer than {MAX_QUERY_CHARS} characters")
    if not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidQueryError(f"k must be an integer between 1 and {MAX_K}")
    return query.strip()


def _hit(point) -> SearchHit:
    p = point.payload or {}
    return SearchHit(
        url=p.get("url", ""),
        title=p.get("title", ""),
        section=p.get("section", ""),
        text=p.get("text", ""),
        score=float(point.score),
        chunk_id=p.get("chunk_id", ""),
        source=p.get("source", ""),
        course_id=p.get("course_id", ""),
        content_type=p.get("content_type", ""),
        tags=tuple(p.get("tags") or ()),
        doc_id=p.get("doc_id", ""),
    )


def search(
    query: str,
    k: int = 10,
    filters: Mapping[str, Any] | None = None,
    *,
    store: StoreLocation,
    mode: Mode = "hybrid",
    alias: str = DEFAULT_ALIAS,
    candidates: int | None = None,
) -> list[SearchHit]:
    """Top-``k`` chunks for ``query`` from the index at ``store``, best first; ``[]`` when nothing
    is indexed yet.

    ``filters`` keys: course_id, source, content_type, tags (any-of), doc_id.
    Raises :class:`InvalidQueryError` for bad input and
    :class:`rag.store.SearchUnavailableError` when the store cannot be opened.
    """
    from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

    from rag.store import SearchUnavailableError

    query = _validate(query, k)
    try:
        return _search(store, query, k, filters, mode, alias, candidates)
    except (ResponseHandlingException, ConnectionError, TimeoutError) as exc:
        raise SearchUnavailableError(f"the search index cannot be reached ({exc}); retry shortly") from None
    except UnexpectedResponse as exc:
        if exc.status_code is not None and exc.status_code < 500:
            raise
        raise SearchUnavailableError(f"the search index answered {exc.status_code}; retry shortly") from None


def _search(store: StoreLocation, query: str, k: int, filters: Mapping[str, Any] | None, mode: Mode,
            alias: str, candidates: int | None) -> list[SearchHit]:
    from qdrant_client import models

    from rag.sparse import query_vector
    from rag.store import get_read_client, resolve_alias

    flt = build_filter(filters)
    client = get_read_client(store)
    if resolve_alias(client, alias) is None:
        return []
    n = candidates or max(4 * k, MIN_CANDIDATES)
    idx, val = query_vector(query)
    sparse_q = models.SparseVector(indices=idx, values=val)
    if mode == "bm25":
        if not idx:
            return []
        res = client.query_points(
            alias, query=sparse_q, using=SPARSE, query_filter=flt, limit=k, with_payload=True
        )
        return [_hit(p) for p in res.points]

    from rag.embedding import embed_query

    dense_q = embed_query(query)
    if mode == "dense" or not idx:  # a query of only stop words has no BM25 signal
        res = client.query_points(
            alias, query=dense_q, using=DENSE, query_filter=flt, limit=k, with_payload=True
        )
        return [_hit(p) for p in res.points]
    if mode != "hybrid":
        raise InvalidQueryError("mode must be one of hybrid, dense, bm25")
    res = client.query_points(
        alias,
        prefetch=[
            models.Prefetch(query=dense_q, using=DENSE, filter=flt, limit=n),
            models.Prefetch(query=sparse_q, using=SPARSE, filter=flt, limit=n),
        ],
        query=models.RrfQuery(rrf=models.Rrf(k=RRF_K)),
        limit=k,
        with_payload=True,
    )
    return [_hit(p) for p in res.points]
