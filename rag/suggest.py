"""Autocomplete over page titles and section headings.

Suggestions are the titles users see in results, so completing to them always
leads somewhere. The phrase list is read from the live collection once (payload
only) and cached per collection; indexing invalidates it. Matching is on the
start of any word of a phrase (typing "join" finds "os.path.join"), ranked by
whether the whole phrase starts with the prefix, then by how many chunks carry it.
"""

from __future__ import annotations

import re
import threading
from collections import Counter

from rag.store import DEFAULT_ALIAS, StoreLocation

# (store, collection) -> phrases: a collection name alone could repeat across stores.
_cache: dict[tuple[StoreLocation, str], list[tuple[str, str, int]]] = {}
_lock = threading.Lock()
_WORD_START = re.compile(r"(?:^|[\s._\-/(:])(?=\w)")


def invalidate(store: StoreLocation | None = None) -> None:
    """Forget the phrases of ``store`` (every store when ``None``); indexing calls this."""
    with _lock:
        for key in [k for k in _cache if store is None or k[0] == store]:
            del _cache[key]


def _phrases(store: StoreLocation, client, collection: str) -> list[tuple[str, str, int]]:
    with _lock:
        cached = _cache.get((store, collection))
    if cached is not None:
        return cached
    counts: Counter[str] = Counter()
    offset = None
    while True:
        points, offset = client.scroll(
            collection, limit=2048, offset=offset, with_payload=["title", "section"], with_vectors=False
        )
        for p in points:
            for key in ("title", "section"):
                value = " ".join(str((p.payload or {}).get(key, "")).split())
                if 2 <= len(value) <= 120:
                    counts[value] += 1
        if offset is None:
            break
    phrases = [(phrase.lower(), phrase, n) for phrase, n in counts.items()]
    with _lock:
        _cache[(store, collection)] = phrases
    return phrases


def autocomplete(prefix: str, k: int = 8, *, store: StoreLocation, alias: str = DEFAULT_ALIAS) -> list[str]:
    """Up to ``k`` phrases completing ``prefix`` (case-insensitive); ``[]`` for an empty index."""
    from rag.store import get_read_client, resolve_alias

    p = " ".join(prefix.lower().split())
    if not p:
        return []
    client = get_read_client(store)
    collection = resolve_alias(client, alias)
    if collection is None:
        return []
    scored: list[tuple[int, int, int, str]] = []
    for low, original, n in _phrases(store, client, collection):
        if low.startswith(p):
            scored.append((0, -n, len(low), original))
        elif p in low and any(low.startswith(p, m.end()) for m in _WORD_START.finditer(low)):
            scored.append((1, -n, len(low), original))
    scored.sort()
    return [s[3] for s in scored[:k]]
