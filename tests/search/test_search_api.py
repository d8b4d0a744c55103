from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rag.api_router import router


@pytest.fixture()
def client(indexed) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def test_search_endpoint_returns_hits_and_records_event(client: TestClient, data_dir) -> None:
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
    events = list((data_dir / "lake" / "events").rglob("*.jsonl"))
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
