"""Fixtures for the tutor tests: a small, real search index of Python docs pages.

Indexing goes through the real ``rag.index_documents`` (MiniLM + BM25 in local
Qdrant); a handful of sections keeps it to ~20 s per module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

TEST_PAGES = ["tutorial/datastructures.html", "tutorial/inputoutput.html", "tutorial/controlflow.html"]
TEST_SECTIONS = ["More on Lists", "Dictionaries", "Reading and Writing Files", "break and continue"]
COURSE_A = "course-python-basics"
COURSE_B = "course-file-io"


@pytest.fixture(scope="module")
def courses() -> dict[str, str]:
    """Course ids used in the test index: ``a`` (lists, dicts, loops), ``b`` (file I/O)."""
    return {"a": COURSE_A, "b": COURSE_B}


@pytest.fixture(scope="module")
def tutor_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Data dir with an index of real Python docs sections plus planted injection pages.

    Lists/dictionaries/loops sections belong to COURSE_A, file I/O to COURSE_B, so
    course scoping is observable. Yields the data dir; the Qdrant lock is released
    before yielding so another process (a Serve replica) can open the store.
    """
    from rag import StoreLocation, index_documents
    from rag.store import close_clients
    from rag.tutor.eval.corpus import injection_documents, python_docs_documents

    d = tmp_path_factory.mktemp("tutor_data")
    store = StoreLocation.from_settings(_local_settings(d))
    docs = python_docs_documents(TEST_PAGES, sections=TEST_SECTIONS)
    for doc in docs:
        doc.course_id = COURSE_B if "inputoutput" in doc.url else COURSE_A
    docs += injection_documents(course_id=COURSE_A)
    stats = index_documents(docs, store=store)
    assert stats.chunks_upserted > 10
    close_clients(store)
    try:
        yield d
    finally:
        close_clients(store)


@pytest.fixture(scope="module")
def tutor_settings(tutor_index: Path):
    """Settings over the tutor index, passed to the pipeline as a value."""
    return _local_settings(tutor_index)


def _local_settings(data_dir: Path):
    from suuupra.settings import load_settings

    return load_settings(data_dir=data_dir, profile="local", qdrant_url=None)
