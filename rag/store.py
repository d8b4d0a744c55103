"""Qdrant access: one client per location per process, collections behind an alias.

Readers always query the alias (``docs``); a full rebuild writes a fresh
``docs_<timestamp>`` collection and then swaps the alias atomically, so search
never sees a half-built index (blue/green). Local mode (``settings.qdrant_path``)
is an embedded on-disk store that allows one client per process; server mode
(``settings.qdrant_url``) is used whenever a URL is configured (prod profile).
"""

from __future__ import annotations

import threading
import time
from typing import Any

DEFAULT_ALIAS = "docs"
DENSE = "dense"
SPARSE = "bm25"
KEYWORD_FIELDS = ("doc_id", "source", "course_id", "content_type", "tags", "url")

_clients: dict[str, Any] = {}
_lock = threading.Lock()


class SearchUnavailableError(RuntimeError):
    """The search index cannot be reached or does not exist yet (message says how to fix)."""


def _location() -> tuple[str, dict[str, Any]]:
    from suuupra.settings import get_settings

    s = get_settings()
    if s.qdrant_url:
        key = s.qdrant_api_key.get_secret_value() if s.qdrant_api_key else None
        return f"url:{s.qdrant_url}", {"url": s.qdrant_url, "api_key": key, "timeout": 30}
    s.qdrant_path.mkdir(parents=True, exist_ok=True)
    return f"path:{s.qdrant_path}", {"path": str(s.qdrant_path)}


def get_client():
    """Cached ``QdrantClient`` for the configured location (created lazily)."""
    loc, kwargs = _location()
    with _lock:
        client = _clients.get(loc)
        if client is None:
            import warnings

            from qdrant_client import QdrantClient

            try:
                with warnings.catch_warnings():  # local mode warns about payload indexes / size
                    warnings.simplefilter("ignore")
                    client = QdrantClient(**kwargs)
            except RuntimeError as exc:
                if "already accessed" in str(exc):
                    raise SearchUnavailableError(
                        f"the local Qdrant store {kwargs.get('path')} is locked by another process "
                        "(e.g. the API server); stop it or set SUUUPRA_QDRANT_URL to a Qdrant server"
                    ) from None
                raise
            if not _clients:
                import atexit

                atexit.register(close_clients)  # avoids qdrant's noisy __del__ at interpreter exit
            _clients[loc] = client
        return client


_snapshots: dict[str, tuple[tuple[int, int], Any, Any]] = {}  # src -> (version, client, dir)


def _tree_version(path) -> tuple[int, int]:
    """(latest mtime_ns, total size) of the store's files: changes whenever the index does."""
    import os

    latest, total = 0, 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            if name == ".lock":
                continue
            st = os.stat(os.path.join(root, name))
            latest, total = max(latest, st.st_mtime_ns), total + st.st_size
    return latest, total


def get_read_client():
    """A client for *searching*.

    Server mode: the shared client. Local mode: the embedded store admits one
    process at a time, yet the API server, the tutor replicas and the indexer
    all need it. A process that already writes (holds the primary client) reads
    through it; any other process reads a private copy of the store, refreshed
    whenever the on-disk index changes (a re-index shows up on the next query).
    """
    import shutil
    import tempfile
    from pathlib import Path

    loc, kwargs = _location()
    if "path" not in kwargs:
        return get_client()
    with _lock:
        if loc in _clients:
            return _clients[loc]
        src = Path(kwargs["path"])
        version = _tree_version(src)
        cached = _snapshots.get(loc)
        if cached is not None and cached[0] == version:
            return cached[1]
        import warnings

        from qdrant_client import QdrantClient

        snap_dir = Path(tempfile.mkdtemp(prefix="qdrant-reader-", dir=str(src.parent)))
        shutil.rmtree(snap_dir)
        shutil.copytree(src, snap_dir, ignore=shutil.ignore_patterns(".lock"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client = QdrantClient(path=str(snap_dir))
        if cached is not None:
            try:
                cached[1].close()
            finally:
                shutil.rmtree(cached[2], ignore_errors=True)
        if not _snapshots and not _clients:
            import atexit

            atexit.register(close_clients)
        _snapshots[loc] = (version, client, snap_dir)
        return client


def close_clients() -> None:
    """Close every cached client (releases the local-mode file lock)."""
    import shutil

    with _lock:
        for client in _clients.values():
            try:
                client.close()
            except Exception:  # noqa: BLE001 - best-effort cleanup
                pass
        _clients.clear()
        for _version, client, snap_dir in _snapshots.values():
            try:
                client.close()
            except Exception:  # noqa: BLE001 - best-effort cleanup
                pass
            shutil.rmtree(snap_dir, ignore_errors=True)
        _snapshots.clear()


def is_local(client) -> bool:
    return type(getattr(client, "_client", None)).__name__.startswith("QdrantLocal")


def resolve_alias(client, alias: str = DEFAULT_ALIAS) -> str | None:
    """Name of the collection the alias points at, or ``None`` if there is no index yet."""
    for a in client.get_aliases().aliases:
        if a.alias_name == alias:
            return a.collection_name
    return None


def create_collection(client, alias: str = DEFAULT_ALIAS) -> str:
    """A new, empty versioned collection (dense cosine + BM25 sparse with server-side IDF)."""
    from qdrant_client import models

    from rag.embedding import DIM

    name = f"{alias}_{time.strftime('%Y%m%d%H%M%S')}_{time.time_ns() % 1_000_000:06d}"
    client.create_collection(
        name,
        vectors_config={DENSE: models.VectorParams(size=DIM, distance=models.Distance.COSINE)},
        sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
    )
    if not is_local(client):  # payload indexes make filtered search fast on a server
        for field in KEYWORD_FIELDS:
            client.create_payload_index(name, field, field_schema=models.PayloadSchemaType.KEYWORD)
    return name


def point_alias(client, alias: str, collection: str) -> str | None:
    """Atomically (re)point ``alias`` at ``collection``; returns the previous target."""
    from qdrant_client import models

    previous = resolve_alias(client, alias)
    ops: list[Any] = []
    if previous:
        ops.append(models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias)))
    ops.append(
        models.CreateAliasOperation(
            create_alias=models.CreateAlias(collection_name=collection, alias_name=alias)
        )
    )
    client.update_collection_aliases(change_aliases_operations=ops)
    return previous


def ensure_collection(client, alias: str = DEFAULT_ALIAS) -> str:
    """The alias target, creating an empty collection behind the alias if none exists."""
    target = resolve_alias(client, alias)
    if target is None:
        target = create_collection(client, alias)
        point_alias(client, alias, target)
    return target


def drop_stale_collections(client, alias: str = DEFAULT_ALIAS, keep: int = 1) -> list[str]:
    """Delete old versioned collections of ``alias`` except the live one and the newest ``keep``-1."""
    live = resolve_alias(client, alias)
    names = sorted(
        (c.name for c in client.get_collections().collections if c.name.startswith(f"{alias}_")),
        reverse=True,
    )
    dropped = []
    kept = 0
    for name in names:
        if name == live:
            continue
        kept += 1
        if kept >= keep:
            client.delete_collection(name)
            dropped.append(name)
    return dropped
