from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient


def _app(settings):
    """The real API app (its error handling and state) with only the search router mounted."""
    from apps_api.config import ApiConfig
    from apps_api.main import create_app

    settings = settings.model_copy(update={"database_url": f"sqlite:///{settings.data_dir / 'api.sqlite3'}"})
    config = ApiConfig(check_migrations=False, rate_limit_enabled=False, log_requests=False)
    return create_app(settings, config)


@pytest.fixture()
def client(indexed, search_settings) -> TestClient:
    return TestClient(_app(search_settings))


def test_search_endpoint_returns_hits_and_records_event(client: TestClient, search_settings) -> None:
    r = client.get("/api/v1/search", params={"q": "iterate over lines of a text file", "k": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2 and body["results"][0]["url"].endswith("files.html#files")
    assert set(body["results"][0]) >= {
        "url",
        "title",
        "section",
        "text",
        "score",
        "chunk_id",
        "source",
        "course_id",
    }
    events = list(search_settings.events_dir.rglob("*.jsonl"))
    rows = [json.loads(line) for f in events for line in f.read_text().splitlines()]
    assert [(e["event_type"], e["query"], e["results"]) for e in rows] == [
        ("search.performed", "iterate over lines of a text file", 2)
    ]


def test_search_endpoint_filters(client: TestClient) -> None:
    r = client.get("/api/v1/search", params=[("q", "python"), ("tags", "ml"), ("tags", "concurrency")])
    assert {h["title"] for h in r.json()["results"]} == {"Gradient descent", "Coroutines and Tasks"}
    r = client.get("/api/v1/search", params={"q": "python", "course_id": "py101"})
    assert {h["course_id"] for h in r.json()["results"]} == {"py101"}


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({}, "q is required"),
        ({"q": "   "}, "q is required"),
        ({"q": "x" * 600}, "at most 512"),
        ({"q": "x", "k": "abc"}, "k must be an integer"),
        ({"q": "x", "k": "0"}, "k must be an integer"),
        ({"q": "x", "mode": "magic"}, "mode must be"),
    ],
)
def test_bad_input_is_problem_json(client: TestClient, params: dict, detail: str) -> None:
    r = client.get("/api/v1/search", params=params)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 400 and detail in body["detail"] and body["instance"] == "/api/v1/search"


def test_autocomplete_endpoint(client: TestClient) -> None:
    r = client.get("/api/v1/search/autocomplete", params={"q": "co"})
    assert r.status_code == 200 and r.json()["suggestions"][0] == "Coroutines and Tasks"
    bad = client.get("/api/v1/search/autocomplete", params={"k": "5"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem+json")


def test_index_outage_is_503_with_retry_after(search_settings, store, monkeypatch) -> None:
    import rag.retrieval
    from rag.store import SearchUnavailableError

    def locked(*_a, **_k):
        raise SearchUnavailableError("the local Qdrant store is locked by another process")

    monkeypatch.setattr(rag.retrieval, "_search", locked)
    r = TestClient(_app(search_settings)).get("/api/v1/search", params={"q": "python"})
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == "the local Qdrant store is locked by another process"


def test_search_reads_the_store_of_the_app_settings(indexed, search_settings, tmp_path) -> None:
    """The index comes from the settings the app was built with, not from the process environment."""
    from suuupra.settings import load_settings

    (tmp_path / "elsewhere").mkdir()
    empty = load_settings(data_dir=tmp_path / "elsewhere", profile="local", qdrant_url=None)
    assert TestClient(_app(empty)).get("/api/v1/search", params={"q": "python"}).json()["count"] == 0
    assert TestClient(_app(search_settings)).get("/api/v1/search", params={"q": "python"}).json()["count"] > 0
