"""Qdrant access: one client per location per process, collections behind an alias.

Readers always query the alias (``docs``); a full rebuild writes a fresh
``docs_<timestamp>`` collection and then swaps the alias atomically, so search
never sees a half-built index (blue/green). Where the index lives is a value,
:class:`StoreLocation`, that every caller passes in: an embedded on-disk store
(local profile; it admits one client per process) or a Qdrant server URL (prod).
Client caches are keyed by that location, so two stores in one process (tests,
a benchmark next to the live index) never share a client.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suuupra.errors import ServiceUnavailable

if TYPE_CHECKING:
    from suuupra.settings import Settings

DEFAULT_ALIAS = "docs"
DENSE = "dense"
SPARSE = "bm25"
KEYWORD_FIELDS = ("doc_id", "source", "course_id", "content_type", "tags", "url")


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """Where the search index lives: a server ``url`` or an embedded store folder ``path``.

    A URL wins when both are given (the prod profile sets one). The API key is
    part of the identity (two keys are two clients) but never shown in ``repr``.
    """

    path: Path | None = None
    url: str | None = None
    api_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.url and self.path is None:
            raise ValueError("StoreLocation needs a Qdrant url or an embedded store path")
        if self.path is not None and not self.url:
            object.__setattr__(self, "path", Path(self.path).absolute())

    @classmethod
    def from_settings(cls, settings: Settings) -> StoreLocation:
        """``settings.qdrant_url`` (with its API key) if set, else ``settings.qdrant_path``."""
        if settings.qdrant_url:
            key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
            return cls(url=settings.qdrant_url, api_key=key)
        return cls(path=settings.qdrant_path)

    @property
    def is_local(self) -> bool:
        return not self.url

    def describe(self) -> str:
        """``url:<url>`` or ``path:<dir>``, for logs and metadata."""
        return f"url:{self.url}" if self.url else f"path:{self.path}"

    def _client_kwargs(self) -> dict[str, Any]:
        if self.url:
            return {"url": self.url, "api_key": self.api_key, "timeout": 30}
        assert self.path is not None
        self.path.mkdir(parents=True, exist_ok=True)
        return {"path": str(self.path)}


_clients: dict[StoreLocation, Any] = {}
_lock = threading.Lock()


class SearchUnavailableError(ServiceUnavailable):
    """The search index cannot be reached or opened right now (the detail says how to fix it)."""

    def __init__(self, detail: str, retry_after_s: int = 5) -> None:
        super().__init__("search index", detail, retry_after_s)


def get_client(store: StoreLocation):
    """Cached writer ``QdrantClient`` for ``store`` (created lazily; locally it holds the file lock)."""
    with _lock:
        client = _clients.get(store)
        if client is None:
            import warnings

            from qdrant_client import QdrantClient

            kwargs = store._client_kwargs()
            try:
                with warnings.catch_warnings():  # local mode warns about payload indexes / size
                    warnings.simplefilter("ignore")
                    client = QdrantClient(**kwargs)
            except RuntimeError as exc:
                if "already accessed" in str(exc):
                    raise SearchUnavailableError(
                        f"the local Qdrant store {store.path} is locked by another process "
                        "(e.g. the API server); stop it or set SUUUPRA_QDRANT_URL to a Qdrant server"
                    ) from None
                raise
            _register_atexit()
            _clients[store] = client
        return client


_snapshots: dict[StoreLocation, tuple[tuple[int, int], Any, Path]] = {}  # store -> (version, client, dir)
_atexit_registered = False


def _register_atexit() -> None:
    """Close clients at exit (avoids qdrant's noisy ``__del__`` during interpreter shutdown)."""
    global _atexit_registered
    if not _atexit_registered:
        import atexit

        atexit.register(close_clients)
        _atexit_registered = True


def _tree_version(path: Path) -> tuple[int, int]:
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


def get_read_client(store: StoreLocation):
    """A client for *searching* ``store``.

    Server mode: the shared client. Local mode: the embedded store admits one
    process at a time, yet the API server, the tutor replicas and the indexer
    all need it. A process that already writes (holds the primary client) reads
    through it; any other process reads a private copy of the store, refreshed
    whenever the on-disk index changes (a re-index shows up on the next query).
    """
    import shutil
    import tempfile

    if not store.is_local:
        return get_client(store)
    with _lock:
        if store in _clients:
            return _clients[store]
        store._client_kwargs()  # creates the store folder on first use
        assert store.path is not None
        src = store.path
        version = _tree_version(src)
        cached = _snapshots.get(store)
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
        _register_atexit()
        _snapshots[store] = (version, client, snap_dir)
        return client


def close_clients(store: StoreLocation | None = None) -> None:
    """Close the cached clients of ``store`` (all stores when ``None``); releases the local file lock."""
    import shutil

    with _lock:
        for loc in [s for s in _clients if store is None or s == store]:
            try:
                _clients.pop(loc).close()
            except Exception:  # noqa: BLE001 - best-effort cleanup
                pass
        for loc in [s for s in _snapshots if store is None or s == store]:
            _version, client, snap_dir = _snapshots.pop(loc)
            try:
                client.close()
            except Exception:  # noqa: BLE001 - best-effort cleanup
                pass
            shutil.rmtree(snap_dir, ignore_errors=True)


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
