"""Search tests share one small corpus; each test gets its own Qdrant store.

Library code gets its settings and store location as values (``search_settings``,
``store``); only the CLI tests go through the environment, as a user's shell does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

CORPUS = [
    {
        "url": "http://docs.test/tutorial/files.html",
        "title": "Reading and Writing Files",
        "sections": [
            {
                "heading": "Reading and Writing Files",
                "anchor": "files",
                "text": "open() returns a file object. To read lines from a file, loop over the file object; "
                "this is memory efficient, fast, and leads to simple code.\n\nfor line in f:\n    print(line)",
            },
            {
                "heading": "Saving structured data with json",
                "anchor": "json",
                "text": "The json module lets you serialize Python data hierarchies to strings (json.dumps) "
                "and deserialize them again (json.loads).",
            },
        ],
        "source": "python-docs",
        "course_id": "py101",
        "tags": ["tutorial"],
    },
    {
        "url": "http://docs.test/library/os.path.html",
        "title": "os.path — Common pathname manipulations",
        "text": "os.path.join(path, *paths) joins one or more path segments intelligently. "
        "os.path.exists(path) returns True if path refers to an existing path.",
        "source": "python-docs",
        "course_id": "py201",
        "tags": ["library"],
    },
    {
        "url": "http://docs.test/library/asyncio-task.html",
        "title": "Coroutines and Tasks",
        "text": "asyncio.gather(*aws) runs awaitable objects concurrently. Coroutines declared with "
        "async/await syntax are the preferred way of writing asyncio applications.",
        "source": "python-docs",
        "course_id": "py201",
        "tags": ["library", "concurrency"],
    },
    {
        "url": "http://lessons.test/ml/gradient-descent",
        "title": "Gradient descent",
        "text": "Gradient descent minimises a loss by repeatedly stepping against the gradient. "
        "The learning rate controls the step size; too large and training diverges.",
        "source": "lessons",
        "course_id": "ml101",
        "content_type": "lesson",
        "tags": ["ml"],
    },
]


@pytest.fixture()
def corpus() -> list[dict]:
    import copy

    return copy.deepcopy(CORPUS)


@pytest.fixture()
def search_settings(tmp_path: Path):
    """Settings of an isolated local platform under this test's temp dir (embedded Qdrant)."""
    from suuupra.settings import load_settings

    d = tmp_path / "platform"
    d.mkdir()
    return load_settings(data_dir=d, profile="local", qdrant_url=None)


@pytest.fixture()
def store(search_settings) -> Iterator:
    from rag.store import StoreLocation, close_clients

    location = StoreLocation.from_settings(search_settings)
    yield location
    close_clients(location)


@pytest.fixture()
def indexed(store, corpus: list[dict]) -> list[dict]:
    from rag.index import index_documents

    index_documents(corpus, store=store)
    return corpus
