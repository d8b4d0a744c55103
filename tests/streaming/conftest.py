"""Streaming fixtures: real ffmpeg clips (generated once per session) and a real API app.

The app is the API's own ``create_app`` on a migrated SQLite file, with the
transcode executor set to ``inline`` so a request returns after the job ran
(the Ray executor is exercised separately in ``test_streaming_jobs.py``).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def clip360(clip_dir: Path) -> Path:
    """6 s, 640x360 @ 30 fps, testsrc2 + 440 Hz sine."""
    from apps_api.streaming.ffmpeg import make_test_clip

    return make_test_clip(clip_dir / "clip360.mp4", seconds=6, size="640x360")


@pytest.fixture(scope="session")
def clip240(clip_dir: Path) -> Path:
    """4 s, 426x240, no audio: the ladder must stop at 240p."""
    from apps_api.streaming.ffmpeg import make_test_clip

    return make_test_clip(clip_dir / "clip240.mp4", seconds=4, size="426x240", audio=False)


@pytest.fixture(scope="session")
def api_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from apps_api.migrate import upgrade

    path = tmp_path_factory.mktemp("stream_tpl") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@dataclass
class Api:
    client: Any
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def state(self):
        return self.app.state.suuupra

    def h(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    def req(self, method: str, path: str, who: str | None = None, *, expect: int | None = None,
            headers: dict[str, str] | None = None, **kw: Any):
        resp = self.client.request(method, "/api/v1" + path, headers={**self.h(who), **(headers or {})}, **kw)
        if expect is not None:
            assert resp.status_code == expect, (method, path, resp.status_code, resp.text)
        return resp

    def get_url(self, url: str, **kw: Any):
        return self.client.get(url, **kw)

    def user(self, name: str, role: str = "learner") -> str:
        email = f"{name}-{uuid.uuid4().hex[:6]}@example.com"
        if role == "admin":
            from apps_api.services.identity import create_user

            with self.state.db.begin() as s:
                uid = create_user(s, self.state, email=email, password="password123", role="admin").id
        else:
            uid = self.req("POST", "/auth/register", json={"email": email, "password": "password123",
                                                           "role": role}, expect=201).json()["id"]
        tok = self.req("POST", "/auth/login", json={"email": email, "password": "password123"}, expect=200)
        self.tokens[name] = tok.json()["access_token"]
        self.ids[name] = uid
        return uid

    def course(self, instructor: str, price: int = 0, preview: bool = False) -> dict[str, str]:
        c = self.req("POST", "/courses", instructor, expect=201, json={
            "title": "Video course", "category": "programming", "level": "beginner", "tags": ["video"],
            "price_minor": price, "currency": "INR"}).json()
        m = self.req("POST", f"/courses/{c['id']}/modules", instructor, expect=201, json={"title": "M1"}).json()
        lesson = self.req("POST", f"/modules/{m['id']}/lessons", instructor, expect=201, json={
            "title": "L1", "body_md": "x", "duration_s": 6, "is_free_preview": preview}).json()
        self.req("POST", f"/courses/{c['id']}/publish", instructor, expect=200)
        return {"course": c["id"], "module": m["id"], "lesson": lesson["id"]}

    def upload_chunked(self, who: str, path: Path, lesson_id: str | None = None, *, chunk: int | None = None,
                       expect_final: int = 200):
        data = path.read_bytes()
        up = self.req("POST", "/videos/uploads", who, expect=201, json={
            "filename": path.name, "total_bytes": len(data), "lesson_id": lesson_id, "title": "t"}).json()
        step = chunk or up["max_chunk_bytes"]
        offset, resp = 0, None
        while offset < len(data):
            part = data[offset:offset + step]
            resp = self.req("PATCH", f"/videos/uploads/{up['id']}", who, content=part,
                            headers={"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
            if offset + len(part) < len(data):
                assert resp.status_code == 200, resp.text
                assert resp.json()["offset"] == offset + len(part)
            offset += len(part)
        assert resp is not None and resp.status_code == expect_final, resp.text
        return resp


@pytest.fixture()
def make_api(data_dir: Path, api_template: Path) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from apps_api.config import ApiConfig
    from apps_api.main import create_app
    from apps_api.streaming.config import StreamingConfig
    from suuupra.settings import load_settings

    opened: list[Any] = []

    def _make(streaming: StreamingConfig | None = None, **config: Any) -> Api:
        db = data_dir / f"api-{len(opened)}.sqlite3"
        shutil.copy(api_template, db)
        settings = load_settings(data_dir=data_dir, database_url=f"sqlite:///{db}")
        base = dict(argon2_time_cost=1, argon2_memory_kib=64, argon2_parallelism=1, rate_limit_enabled=False,
                    log_requests=False)
        base.update(config)
        app = create_app(settings, ApiConfig(**base),
                         streaming=streaming or StreamingConfig(executor="inline", preset="ultrafast"))
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return Api(client=client, app=app)

    yield _make
    for client in opened:
        client.__exit__(None, None, None)  # the lifespan stops live ingest listeners


@pytest.fixture()
def api(make_api) -> Api:
    return make_api()
