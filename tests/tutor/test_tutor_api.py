"""Tutor conversations in the API (``apps_api.routers.tutor``) without a running tutor.

The tutor's OpenAI endpoint is replaced by a recording fake on the app state, so
persistence, ownership, limits and error mapping are checked in seconds; the
end-to-end path over Ray Serve is in ``test_tutor_serve.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

ANSWER = "Use the break statement to leave the loop [1]."
CITATION = {"index": 1, "url": "https://docs.python.org/3.11/tutorial/controlflow.html#break",
            "title": "More Control Flow Tools", "section": "break", "chunk_id": "c:1", "text": "the passage"}


class FakeTutor:
    """Stands in for ``openai.AsyncOpenAI`` pointed at the tutor; records every request."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self._create))

    async def _create(self, **kwargs: Any) -> Any:
        from openai.types.chat import ChatCompletion

        self.calls.append(kwargs)
        message = {"role": "assistant", "content": ANSWER, "citations": [dict(CITATION)], "refusal_kind": None}
        return ChatCompletion.model_validate({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "suuupra-tutor",
            "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
        })


def _app(tmp_path: Path, **overrides: Any) -> TestClient:
    from apps_api.config import ApiConfig
    from apps_api.main import create_app
    from apps_api.migrate import upgrade
    from suuupra.settings import load_settings

    db = tmp_path / "api.sqlite3"
    upgrade(f"sqlite:///{db}")
    settings = load_settings(data_dir=tmp_path, profile="local", database_url=f"sqlite:///{db}",
                             tutor_base_url="http://127.0.0.1:9/tutor/v1", **overrides)
    config = ApiConfig(argon2_time_cost=1, argon2_memory_kib=64, argon2_parallelism=1, rate_limit_enabled=False,
                       log_requests=False)
    return TestClient(create_app(settings, config))


def _login(client: TestClient, name: str) -> dict[str, str]:
    email = f"{name}@example.com"
    client.post("/api/v1/auth/register", json={"email": email, "password": "password123"})
    tok = client.post("/api/v1/auth/login", json={"email": email, "password": "password123"})
    return {"Authorization": f"Bearer {tok.json()['access_token']}"}


@pytest.fixture()
def api(tmp_path: Path) -> Iterator[tuple[TestClient, FakeTutor, dict[str, dict[str, str]]]]:
    fake = FakeTutor()
    with _app(tmp_path, tutor_rate_limit_per_minute=3, tutor_max_input_chars=200) as client:
        client.app.state.suuupra.extras["tutor_client"] = fake
        yield client, fake, {name: _login(client, name) for name in ("ana", "bob")}


def test_messages_are_persisted_owned_and_emitted(api) -> None:
    from sqlalchemy import select

    from apps_api.models import OutboxEvent

    client, fake, tok = api
    assert client.post("/api/v1/tutor/conversations", json={}).status_code == 401
    conv = client.post("/api/v1/tutor/conversations", json={"mode": "hint"}, headers=tok["ana"])
    assert conv.status_code == 201, conv.text
    cid = conv.json()["id"]
    url = f"/api/v1/tutor/conversations/{cid}/messages"
    first = client.post(url, json={"content": "What does break do?"}, headers=tok["ana"])
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["role"] == "assistant" and body["seq"] == 2 and body["content"] == ANSWER
    assert body["citations"] == [{k: v for k, v in CITATION.items() if k != "text"}]  # passage not stored
    assert fake.calls[0]["extra_body"] == {"mode": "hint"}

    client.post(url, json={"content": "And in a while loop?"}, headers=tok["ana"])
    assert [m["content"] for m in fake.calls[1]["messages"]] == ["What does break do?", ANSWER,
                                                                 "And in a while loop?"]
    detail = client.get(f"/api/v1/tutor/conversations/{cid}", headers=tok["ana"]).json()
    assert [m["seq"] for m in detail["messages"]] == [1, 2, 3, 4] and detail["title"] == "What does break do?"
    assert [c["id"] for c in client.get("/api/v1/tutor/conversations", headers=tok["ana"]).json()] == [cid]
    other = client.get(f"/api/v1/tutor/conversations/{cid}", headers=tok["bob"])
    assert other.status_code == 404 and other.headers["content-type"].startswith("application/problem+json")
    assert client.post(url, json={"content": "hi"}, headers=tok["bob"]).status_code == 404

    with client.app.state.suuupra.db.session() as s:
        rows = list(s.scalars(select(OutboxEvent).where(OutboxEvent.event_type == "tutor.message")))
    assert sorted(r.payload["role"] for r in rows) == ["assistant", "assistant", "user", "user"]
    assert "break" not in str([r.payload for r in rows])  # events carry sizes, not the text


def test_limits_are_problems_with_the_documented_status(api) -> None:
    client, _fake, tok = api
    r = client.post("/api/v1/tutor/conversations", json={"course_id": "course-nope"}, headers=tok["bob"])
    assert r.status_code == 403 and "enroll" in r.json()["detail"]
    cid = client.post("/api/v1/tutor/conversations", json={}, headers=tok["bob"]).json()["id"]
    url = f"/api/v1/tutor/conversations/{cid}/messages"
    big = client.post(url, json={"content": "x" * 201}, headers=tok["bob"])
    assert big.status_code == 413 and big.headers["content-type"].startswith("application/problem+json")
    assert client.post(url, json={"content": "  "}, headers=tok["bob"]).status_code == 422
    for q in ("one?", "two?", "three?"):  # refused input takes no token of the 3-per-minute bucket
        assert client.post(url, json={"content": q}, headers=tok["bob"]).status_code == 201
    limited = client.post(url, json={"content": "four?"}, headers=tok["bob"])
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_tutor_outage_is_503(tmp_path: Path) -> None:
    with _app(tmp_path) as client:  # tutor_base_url points at the discard port: connection refused
        tok = _login(client, "ana")
        cid = client.post("/api/v1/tutor/conversations", json={}, headers=tok).json()["id"]
        r = client.post(f"/api/v1/tutor/conversations/{cid}/messages", json={"content": "hi"}, headers=tok)
    assert r.status_code == 503 and "unavailable" in r.json()["detail"]
    assert r.headers["content-type"].startswith("application/problem+json")
