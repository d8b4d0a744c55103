"""Write documents into the search index.

Two entry points:

* :func:`index_documents` — incremental upsert into the live collection. Pages
  whose content hash is unchanged are skipped; changed pages have their old chunks
  deleted first, so a page that shrank leaves no orphan chunks behind.
* :func:`rebuild_index` — build a fresh collection and swap the alias (blue/green).

Point ids are UUIDv5 of the chunk id, so re-indexing the same chunk overwrites it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rag.chunking import DEFAULT_MAX_TOKENS, DEFAULT_OVERLAP_TOKENS, chunk_documents
from rag.store import DEFAULT_ALIAS, DENSE, SPARSE, StoreLocation
from rag.types import Chunk, Document

log = logging.getLogger(__name__)
_NS = uuid.UUID("5b1f3c1e-7d1a-4c55-9d0e-2f4b8a9c6e01")


@dataclass(slots=True)
class IndexStats:
    """What an indexing call did (returned to the CLI / Dagster metadata)."""

    collection: str
    documents_seen: int = 0
    documents_indexed: int = 0
    documents_unchanged: int = 0
    documents_deleted: int = 0
    chunks_upserted: int = 0
    points_total: int = 0
    doc_ids: list[str] = field(default_factory=list)


def point_id(chunk_id: str) -> str:
    return str(uuid.uuid5(_NS, chunk_id))


def _as_documents(docs: Iterable[Document | Mapping[str, Any]]) -> list[Document]:
    out: list[Document] = []
    seen: set[str] = set()
    for d in docs:
        doc = d if isinstance(d, Document) else Document.from_dict(dict(d))
        if doc.doc_id in seen:  # last one wins would be surprising; first one wins, like the crawler
            continue
        seen.add(doc.doc_id)
        out.append(doc)
    return out


def _existing_hashes(client, collection: str) -> dict[str, str]:
    """doc_id -> doc_hash for everything in the collection (payload only, no vectors)."""
    hashes: dict[str, str] = {}
    offset = None
    while True:
        points, offset = client.scroll(
            collection, limit=1024, offset=offset, with_payload=["doc_id", "doc_hash"], with_vectors=False
        )
        for p in points:
            if p.payload:
                hashes[p.payload.get("doc_id", "")] = p.payload.get("doc_hash", "")
        if offset is None:
            return hashes


def _delete_docs(client, collection: str, doc_ids: list[str]) -> None:
    from qdrant_client import models

    for i in range(0, len(doc_ids), 256):
        batch = doc_ids[i : i + 256]
        client.delete(
            collection,
            points_selector=models.FilterSelector(
                filter=models.Filter(
                    must=[models.FieldCondition(key="doc_id", match=models.MatchAny(any=batch))]
                )
            ),
            wait=True,
        )


def _upsert_chunks(client, collection: str, chunks: list[Chunk], batch_size: int, progress: bool) -> int:
    from qdrant_client import models

    from rag.embedding import embed
    from rag.sparse import doc_vector

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(chunks), desc="embedding chunks", unit="chunk")
    # Embed in large windows: sentence-transformers sorts by length inside one call,
    # so bigger windows waste less compute on padding.
    window = max(batch_size, 512)
    for i in range(0, len(chunks), window):
        batch = chunks[i : i + window]
        dense = embed([c.embed_text() for c in batch], batch_size=batch_size)
        points = []
        for c, vec in zip(batch, dense, strict=True):
            idx, val = doc_vector(c.text, boost_text=f"{c.title} {c.section}")
            points.append(
                models.PointStruct(
                    id=point_id(c.chunk_id),
                    vector={DENSE: vec.tolist(), SPARSE: models.SparseVector(indices=idx, values=val)},
                    payload=c.payload(),
                )
            )
        for j in range(0, len(points), 256):
            client.upsert(collection, points=points[j : j + 256], wait=True)
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()
    return len(chunks)


def index_documents(
    docs: Iterable[Document | Mapping[str, Any]],
    *,
    store: StoreLocation,
    alias: str = DEFAULT_ALIAS,
    collection: str | None = None,
    delete_missing: bool = False,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    batch_size: int = 32,
    progress: bool = False,
) -> IndexStats:
    """Chunk, embed and upsert ``docs`` (``Document`` objects or dicts) into the index at ``store``.

    ``collection`` targets a specific collection instead of the alias (used by
    :func:`rebuild_index`); ``delete_missing`` removes indexed pages of the same
    sources that are not in ``docs`` (a full re-crawl that saw pages disappear).
    """
    from rag.store import ensure_collection, get_client

    client = get_client(store)
    target = collection or ensure_collection(client, alias)
    documents = _as_documents(docs)
    existing = _existing_hashes(client, target)
    stats = IndexStats(collection=target, documents_seen=len(documents))
    todo: list[Document] = []
    for doc in documents:
        if existing.get(doc.doc_id) == doc.content_hash():
            stats.documents_unchanged += 1
        else:
            todo.append(doc)
    stale = [d.doc_id for d in todo if d.doc_id in existing]
    if delete_missing:
        wanted = {d.doc_id for d in documents}
        sources = {d.source for d in documents}
        gone = _doc_ids_for_sources(client, target, sources) - wanted
        stale.extend(sorted(gone))
        stats.documents_deleted = len(gone)
    if stale:
        _delete_docs(client, target, stale)
    chunks = chunk_documents(todo, max_tokens=max_tokens, overlap_tokens=overlap_tokens)
    stats.chunks_upserted = _upsert_chunks(client, target, chunks, batch_size, progress)
    stats.documents_indexed = len(todo)
    stats.doc_ids = [d.doc_id for d in todo]
    stats.points_total = client.count(target, exact=True).count
    _invalidate_caches(store)
    log.info("indexed %d docs (%d chunks) into %s", len(todo), len(chunks), target)
    return stats


def _doc_ids_for_sources(client, collection: str, sources: set[str]) -> set[str]:
    from qdrant_client import models

    ids: set[str] = set()
    offset = None
    flt = models.Filter(
        must=[models.FieldCondition(key="source", match=models.MatchAny(any=sorted(sources)))]
    )
    while True:
        points, offset = client.scroll(
            collection,
            scroll_filter=flt,
            limit=1024,
            offset=offset,
            with_payload=["doc_id"],
            with_vectors=False,
        )
        ids.update(p.payload["doc_id"] for p in points if p.payload)
        if offset is None:
            return ids


def delete_documents(doc_ids: Iterable[str], *, store: StoreLocation, alias: str = DEFAULT_ALIAS) -> int:
    """Remove every chunk of the given pages from the live index; returns how many ids were given."""
    from rag.store import get_client, resolve_alias

    ids = sorted(set(doc_ids))
    client = get_client(store)
    target = resolve_alias(client, alias)
    if target is None or not ids:
        return 0
    _delete_docs(client, target, ids)
    _invalidate_caches(store)
    return len(ids)


def rebuild_index(
    docs: Iterable[Document | Mapping[str, Any]],
    *,
    store: StoreLocation,
    alias: str = DEFAULT_ALIAS,
    keep_previous: int = 0,
    **kwargs: Any,
) -> IndexStats:
    """Index everything into a new collection, then atomically swap the alias to it."""
    from rag.store import create_collection, drop_stale_collections, get_client, point_alias

    client = get_client(store)
    fresh = create_collection(client, alias)
    try:
        stats = index_documents(docs, store=store, alias=alias, collection=fresh, **kwargs)
    except BaseException:
        client.delete_collection(fresh)
        raise
    point_alias(client, alias, fresh)
    drop_stale_collections(client, alias, keep=keep_previous + 1)
    _invalidate_caches(store)
    return stats


def index_status(store: StoreLocation, alias: str = DEFAULT_ALIAS) -> dict[str, Any]:
    """Live collection name and point count (``collection`` is None when nothing is indexed)."""
    from rag.store import get_client, resolve_alias

    client = get_client(store)
    target = resolve_alias(client, alias)
    if target is None:
        return {"alias": alias, "collection": None, "points": 0}
    return {"alias": alias, "collection": target, "points": client.count(target, exact=True).count}


def _invalidate_caches(store: StoreLocation) -> None:
    from rag.suggest import invalidate

    invalidate(store)
