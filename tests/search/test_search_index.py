from __future__ import annotations

import pytest

from rag import SearchHit, StoreLocation, autocomplete, index_documents, search
from rag.retrieval import InvalidQueryError
from rag.retrieval import search as search_mode


def _top(query: str, store: StoreLocation) -> str:
    return search(query, k=1, store=store)[0].url


def test_empty_index_returns_no_hits(store) -> None:
    assert search("anything", store=store) == []
    assert autocomplete("any", store=store) == []


def test_hybrid_search_finds_paraphrases_and_identifiers(indexed, store) -> None:
    hits = search("iterate over lines of a text file", k=3, store=store)
    assert isinstance(hits[0], SearchHit)
    assert hits[0].url == "http://docs.test/tutorial/files.html#files"
    assert hits[0].section == "Reading and Writing Files" and hits[0].course_id == "py101"
    assert hits[0].score >= hits[1].score >= hits[2].score
    assert _top("os.path.join", store) == "http://docs.test/library/os.path.html"
    assert _top("run coroutines concurrently", store) == "http://docs.test/library/asyncio-task.html"
    assert _top("serialize data to a string", store) == "http://docs.test/tutorial/files.html#json"
    for mode in ("dense", "bm25"):
        assert search_mode("gradient learning rate", k=1, store=store, mode=mode)[0].source == "lessons"


def test_filters(indexed, store) -> None:
    hits = search("python", k=10, filters={"course_id": "py201"}, store=store)
    assert hits and {h.course_id for h in hits} == {"py201"}
    hits = search("learning", k=10, filters={"source": "lessons", "content_type": "lesson"}, store=store)
    assert [h.title for h in hits] == ["Gradient descent"]
    hits = search("python", k=10, filters={"tags": ["concurrency", "ml"]}, store=store)
    assert {h.title for h in hits} == {"Coroutines and Tasks", "Gradient descent"}
    assert search("python", filters={"course_id": "nope"}, store=store) == []


def test_bad_input_is_rejected_clearly(indexed, store) -> None:
    with pytest.raises(InvalidQueryError, match="non-empty"):
        search("   ", store=store)
    with pytest.raises(InvalidQueryError, match="k must be"):
        search("x", k=0, store=store)
    with pytest.raises(InvalidQueryError, match="unknown filter"):
        search("x", filters={"courseid": "py101"}, store=store)


def test_reindex_skips_unchanged_replaces_changed_and_deletes(indexed, corpus, store) -> None:
    from rag.index import delete_documents, index_status

    before = index_status(store)["points"]
    stats = index_documents(corpus, store=store)
    assert stats.documents_unchanged == len(corpus) and stats.chunks_upserted == 0
    assert index_status(store)["points"] == before

    corpus[0]["sections"] = [
        {"heading": "Files", "anchor": "f", "text": "Use pathlib.Path.read_text for small files."}
    ]
    stats = index_documents(corpus, store=store)
    assert stats.documents_indexed == 1 and stats.documents_unchanged == len(corpus) - 1
    files = [h for h in search("pathlib read_text", k=10, store=store) if "files.html" in h.url]
    assert {h.section for h in files} == {"Files"}  # old json/files chunks are gone, no orphans
    assert index_status(store)["points"] == before - 1

    assert delete_documents([files[0].doc_id], store=store) == 1
    assert all("files.html" not in h.url for h in search("pathlib read_text", k=10, store=store))


def test_delete_missing_and_rebuild_swaps_alias(indexed, corpus, store) -> None:
    from rag.index import index_status, rebuild_index
    from rag.store import get_client

    # python-docs pages: files.html disappeared
    stats = index_documents(corpus[1:3], store=store, delete_missing=True)
    assert stats.documents_deleted == 1
    assert all("files.html" not in h.url for h in search("read lines from a file", k=10, store=store))
    assert any(h.source == "lessons" for h in search("gradient", k=10, store=store))  # other sources untouched

    old = index_status(store)["collection"]
    new_stats = rebuild_index(corpus[:1], store=store)
    status = index_status(store)
    assert status["collection"] == new_stats.collection != old
    assert [h.title for h in search("anything at all", k=10, store=store)] == ["Reading and Writing Files"] * 2
    names = [c.name for c in get_client(store).get_collections().collections]
    assert old not in names


def test_autocomplete(indexed, store) -> None:
    assert autocomplete("read", store=store) == ["Reading and Writing Files"]
    assert autocomplete("JOIN", store=store) == []  # only titles/sections are suggested
    assert "os.path — Common pathname manipulations" in autocomplete("path", store=store)
    assert autocomplete("co", k=1, store=store) == ["Coroutines and Tasks"]
    assert autocomplete("  ", store=store) == []


def test_stores_are_separate_values(indexed, store, tmp_path) -> None:
    """Two stores in one process: each has its own client, index and suggestion cache."""
    from rag.index import index_status
    from rag.store import close_clients, get_client

    other = StoreLocation(path=tmp_path / "other-qdrant")
    try:
        assert get_client(other) is not get_client(store)
        assert index_status(other)["collection"] is None
        assert search("coroutines", store=other) == [] and autocomplete("co", store=other) == []
        index_documents([{"url": "http://o.test/x", "title": "Coral reefs", "text": "Reefs are built by corals."}],
                        store=other)
        assert autocomplete("co", store=other) == ["Coral reefs"]
        assert autocomplete("co", k=1, store=store) == ["Coroutines and Tasks"]
    finally:
        close_clients(other)
    assert StoreLocation(path=store.path) == store  # the cache key is the location itself


def test_import_of_rag_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, rag; print(any(m in sys.modules for m in ('torch', 'qdrant_client', 'sentence_transformers')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
