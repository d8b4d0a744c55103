"""Fixtures for the API tests: one app per test on SQLite *and* PostgreSQL.

SQLite: each test copies a migrated template file (fast). PostgreSQL: one
uniquely named database per session (``suuupra_api_test_<random>``, dropped at
the end), migrated once and truncated between tests, so concurrent runs of
other engineers never collide with ours.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
UNREACHABLE_SCORER = "http://127.0.0.1:9/fraud/score"  # discard port: connection refused at once


def fast_config(**overrides: Any):
    from apps_api.config import ApiConfig

    base = dict(argon2_time_cost=1, argon2_memory_kib=64, argon2_parallelism=1, rate_limit_enabled=False,
                log_requests=False, processor_timeout_s=0.05, idempotency_wait_s=30)
    base.update(overrides)
    return ApiConfig(**base)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from apps_api.migrate import upgrade

    path = tmp_path_factory.mktemp("api_tpl") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    from apps_api.migrate import upgrade

    name = f"suuupra_api_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _truncate_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"))]
        # DELETE with FK triggers off is much faster than TRUNCATE for tiny tables
        conn.execute(text("SET session_replication_role = replica"))
        for t in tables:
            conn.execute(text(f'DELETE FROM "{t}"'))
        conn.execute(text("SET session_replication_role = DEFAULT"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.prod)])
def db_url(request: pytest.FixtureRequest, data_dir: Path) -> str:
    if request.param == "sqlite":
        target = data_dir / "api.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("pg_database")
    _truncate_pg(url)
    return url


@pytest.fixture()
def make_settings(data_dir: Path, db_url: str):
    from suuupra.settings import load_settings

    def _make(**overrides: Any):
        values = dict(data_dir=data_dir, database_url=db_url, fraud_scorer_url=UNREACHABLE_SCORER,
                      fraud_timeout_ms=200)
        values.update(overrides)
        return load_settings(**values)

    return _make


@dataclass
class Api:
    """TestClient plus helpers that go through the real HTTP routes."""

    client: Any
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def state(self):
        return self.app.state.suuupra

    def h(self, who: str | None, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return headers

    def req(self, method: str, path: str, who: str | None = None, *, expect: int | None = None,
            headers: dict[str, str] | None = None, **kw: Any):
        resp = self.client.request(method, "/api/v1" + path, headers={**self.h(who), **(headers or {})}, **kw)
        if expect is not None:
            assert resp.status_code == expect, (method, path, resp.status_code, resp.text)
        return resp

    def user(self, name: str, role: str = "learner", country: str = "IN") -> str:
        """Register (or, for admins, create directly) and log in; returns the user id."""
        email = f"{name}-{uuid.uuid4().hex[:6]}@example.com"
        if role == "admin":
            from apps_api.services.identity import create_user

            with self.state.db.begin() as s:
                uid = create_user(s, self.state, email=email, password="password123", role="admin").id
        else:
            uid = self.req("POST", "/auth/register", json={"email": email, "password": "password123",
                                                           "role": role, "country": country},
                           expect=201).json()["id"]
        tok = self.req("POST", "/auth/login", json={"email": email, "password": "password123"}, expect=200)
        self.tokens[name] = tok.json()["access_token"]
        self.tokens[name + ":refresh"] = tok.json()["refresh_token"]
        self.ids[name] = uid
        return uid

    def course(self, instructor: str, price: int = 49_900, title: str = "Python basics", tags=None,
               category: str = "programming", level: str = "beginner", publish: bool = True,
               preview: bool = False) -> dict[str, str]:
        c = self.req("POST", "/courses", instructor, expect=201, json={
            "title": title, "category": category, "level": level, "tags": tags or ["python"],
            "price_minor": price, "currency": "INR"}).json()
        m = self.req("POST", f"/courses/{c['id']}/modules", instructor, expect=201,
                     json={"title": "Intro"}).json()
        lesson = self.req("POST", f"/modules/{m['id']}/lessons", instructor, expect=201, json={
            "title": "Hello", "body_md": "# Hello", "duration_s": 120, "is_free_preview": preview}).json()
        if preview:
            self.req("POST", f"/modules/{m['id']}/lessons", instructor, expect=201,
                     json={"title": "Paid part", "body_md": "secret", "duration_s": 60})
        if publish:
            self.req("POST", f"/courses/{c['id']}/publish", instructor, expect=200)
        return {"course": c["id"], "module": m["id"], "lesson": lesson["id"]}

    def buy(self, learner: str, course_id: str, key: str | None = None, coupon: str | None = None,
            method: dict | None = None, expect: int | None = 201) -> dict:
        self.req("POST", "/cart/items", learner, json={"course_id": course_id}, expect=201)
        body: dict[str, Any] = {"payment": method or {"method": "card", "card_token": "tok_visa"}}
        if coupon:
            body["coupon_code"] = coupon
        return self.req("POST", "/checkout", learner, json=body, expect=expect,
                        headers={"Idempotency-Key": key or uuid.uuid4().hex}).json()


@pytest.fixture()
def make_api(make_settings):
    from fastapi.testclient import TestClient

    from apps_api.main import create_app

    opened: list[Any] = []

    def _make(settings_overrides: dict[str, Any] | None = None, **config_overrides: Any) -> Api:
        app = create_app(make_settings(**(settings_overrides or {})), fast_config(**config_overrides))
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return Api(client=client, app=app)

    yield _make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture()
def api(make_api) -> Api:
    return make_api()


@pytest.fixture()
def live_server():
    """Serve an app with a real uvicorn in a thread (true concurrency over HTTP)."""
    import socket
    import threading
    import time

    import uvicorn

    servers: list[tuple[Any, threading.Thread]] = []

    def _start(app) -> str:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               lifespan="off", limit_concurrency=1000, backlog=2048))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield _start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture()
def sqlite_api(sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """One Api on a fresh SQLite database (not parametrized over backends)."""
    from fastapi.testclient import TestClient

    from apps_api.main import create_app
    from suuupra.settings import load_settings, reset_settings_cache

    monkeypatch.setenv("SUUUPRA_DATA_DIR", str(tmp_path))
    reset_settings_cache()
    db = tmp_path / "standalone.sqlite3"
    shutil.copy(sqlite_template, db)
    app = create_app(load_settings(data_dir=tmp_path, database_url=f"sqlite:///{db}",
                                   fraud_scorer_url=UNREACHABLE_SCORER, fraud_timeout_ms=100),
                     fast_config())
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, app=app)
    reset_settings_cache()
