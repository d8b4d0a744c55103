from __future__ import annotations

from pathlib import Path

import pytest

from rag import SearchHit, autocomplete, index_documents, search
from rag.retrieval import InvalidQueryError
from rag.retrieval import search as search_mode


def _top(query: str, **kw) -> str:
    return search(query, k=1, **kw)[0].url


def test_empty_index_returns_no_hits(data_dir: Path) -> None:
    assert search("anything") == []
    assert autocomplete("any") == []


def test_hybrid_search_finds_paraphrases_and_identifiers(indexed) -> None:
    hits = search("iterate over lines of a text file", k=3)
    assert isinstance(hits[0], SearchHit)
    assert hits[0].url == "http://docs.test/tutorial/files.html#files"
    assert hits[0].section == "Reading and Writing Files" and hits[0].course_id == "py101"
    assert hits[0].score >= hits[1].score >= hits[2].score
    assert _top("os.path.join") == "http://docs.test/library/os.path.html"
    assert _top("run coroutines concurrently") == "http://docs.test/library/asyncio-task.html"
    assert _top("serialize data to a string") == "http://docs.test/tutorial/files.html#json"
    for mode in ("dense", "bm25"):
        assert search_mode("gradient learning rate", k=1, mode=mode)[0].source == "lessons"


def test_filters(indexed) -> None:
    hits = search("python", k=10, filters={"course_id": "py201"})
    assert hits and {h.course_id for h in hits} == {"py201"}
    hits = search("learning", k=10, filters={"source": "lessons", "content_type": "lesson"})
    assert [h.title for h in hits] == ["Gradient descent"]
    hits = search("python", k=10, filters={"tags": ["concurrency", "ml"]})
    assert {h.title for h in hits} == {"Coroutines and Tasks", "Gradient descent"}
    assert search("python", filters={"course_id": "nope"}) == []


def test_bad_input_is_rejected_clearly(indexed) -> None:
    with pytest.raises(InvalidQueryError, match="non-empty"):
        search("   ")
    with pytest.raises(InvalidQueryError, match="k must be"):
        search("x", k=0)
    with pytest.raises(InvalidQueryError, match="unknown filter"):
        search("x", filters={"courseid": "py101"})


def test_reindex_skips_unchanged_replaces_changed_and_deletes(indexed, corpus) -> None:
    from rag.index import delete_documents, index_status

    before = index_status()["points"]
    stats = index_documents(corpus)
    assert stats.documents_unchanged == len(corpus) and stats.chunks_upserted == 0
    assert index_status()["points"] == before

    corpus[0]["sections"] = [
        {"heading": "Files", "anchor": "f", "text": "Use pathlib.Path.read_text for small files."}
    ]
    stats = index_documents(corpus)
    assert stats.documents_indexed == 1 and stats.documents_unchanged == len(corpus) - 1
    files = [h for h in search("pathlib read_text", k=10) if "files.html" in h.url]
    assert {h.section for h in files} == {"Files"}  # old json/files chunks are gone, no orphans
    assert index_status()["points"] == before - 1

    assert delete_documents([files[0].doc_id]) == 1
    assert all("files.html" not in h.url for h in search("pathlib read_text", k=10))


def test_delete_missing_and_rebuild_swaps_alias(indexed, corpus) -> None:
    from rag.index import index_status, rebuild_index
    from rag.store import get_client

    stats = index_documents(corpus[1:3], delete_missing=True)  # python-docs pages: files.html disappeared
    assert stats.documents_deleted == 1
    assert all("files.html" not in h.url for h in search("read lines from a file", k=10))
    assert any(h.source == "lessons" for h in search("gradient", k=10))  # other sources untouched

    old = index_status()["collection"]
    new_stats = rebuild_index(corpus[:1])
    status = index_status()
    assert status["collection"] == new_stats.collection != old
    assert [h.title for h in search("anything at all", k=10)] == ["Reading and Writing Files"] * 2
    names = [c.name for c in get_client().get_collections().collections]
    assert old not in names


def test_autocomplete(indexed) -> None:
    assert autocomplete("read") == ["Reading and Writing Files"]
    assert autocomplete("JOIN") == []  # only titles/sections are suggested
    assert "os.path — Common pathname manipulations" in autocomplete("path")
    assert autocomplete("co", k=1) == ["Coroutines and Tasks"]
    assert autocomplete("  ") == []


def test_import_of_rag_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, rag; print(any(m in sys.modules for m in ('torch', 'qdrant_client', 'sentence_transformers')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
