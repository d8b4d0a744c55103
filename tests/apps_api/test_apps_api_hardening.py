"""Problem responses, limits, rate limiting, observability and the migration gate."""

from __future__ import annotations

import uuid

import pytest


def test_errors_are_problem_json(api):
    r = api.req("GET", "/courses/crs_missing", expect=404)
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 404 and "crs_missing" in body["detail"] and body["request_id"]
    v = api.req("POST", "/auth/register", json={"email": "nope"}, expect=422).json()
    assert v["detail"].startswith("request is invalid") and v["errors"]
    raw = api.client.post("/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert raw.status_code == 422 and raw.headers["content-type"] == "application/problem+json"
    assert api.client.get("/api/v1/nope").headers["content-type"] == "application/problem+json"


def test_body_size_limit(make_api):
    api = make_api(max_body_bytes=2048)
    big = {"email": "a@example.com", "password": "x" * 5000}
    r = api.client.post("/api/v1/auth/register", json=big)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"

    def chunks():  # no Content-Length: the streaming counter must catch it
        for _ in range(10):
            yield b"x" * 1000

    r = api.client.post("/api/v1/auth/register", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_per_ip_and_per_user_rate_limits(make_api):
    api = make_api(rate_limit_enabled=True, ip_rate_per_s=0.01, ip_burst=8, user_rate_per_s=0.01, user_burst=3)
    api.user("ann")  # 2 requests from this IP
    codes = [api.req("GET", "/users/me", "ann").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]  # per-user burst of 3
    r = api.req("GET", "/courses")
    assert r.status_code == 200
    codes = [api.req("GET", "/courses").status_code for _ in range(3)]
    assert codes[-1] == 429  # per-IP burst of 8 exhausted
    limited = api.req("GET", "/courses")
    assert limited.headers["content-type"] == "application/problem+json" and int(limited.headers["retry-after"]) >= 1
    assert api.client.get("/healthz").status_code == 200  # probes are exempt


@pytest.mark.prod
def test_redis_token_bucket_is_shared():
    redis = pytest.importorskip("redis")
    from apps_api.ratelimit import RedisRateLimiter

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis not reachable")
    prefix = f"suuupra:test:apps_api:{uuid.uuid4().hex}:"
    a = RedisRateLimiter("redis://127.0.0.1:6379/0", prefix)
    b = RedisRateLimiter("redis://127.0.0.1:6379/0", prefix)  # a second replica
    waits = [lim.take("ip:1.2.3.4", 0.5, 3) for lim in (a, b, a, b)]
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] > 0
    assert a.take("ip:5.6.7.8", 0.5, 3) == 0.0  # separate bucket


def test_memory_token_bucket_refills():
    import time

    from apps_api.ratelimit import MemoryRateLimiter

    lim = MemoryRateLimiter()
    assert [lim.take("k", 20.0, 2) for _ in range(3)][:2] == [0.0, 0.0]
    time.sleep(0.12)
    assert lim.take("k", 20.0, 2) == 0.0


def test_request_id_metrics_health(api, caplog):
    r = api.client.get("/api/v1/courses", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert api.client.get("/api/v1/courses").headers["x-request-id"]
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").json() == {"status": "ready"}
    m = api.client.get("/metrics")
    assert m.status_code == 200 and 'api_requests_total{method="GET",route="/api/v1/courses",status="200"}' in m.text
    spec = api.client.get("/openapi.json").json()
    assert "/api/v1/checkout" in spec["paths"] and "Problem" in spec["components"]["schemas"]
    assert api.client.get("/docs").status_code == 200


def test_json_access_log_carries_request_id(make_api, capsys):
    import json

    api = make_api(log_requests=True)
    api.client.get("/api/v1/courses", headers={"X-Request-ID": "trace-42"})
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    entry = next(x for x in lines if x.get("request_id") == "trace-42")
    assert entry["msg"] == "request" and entry["status"] == 200 and entry["route"] == "/api/v1/courses"


def test_refuses_to_start_on_unmigrated_database(tmp_path):
    from apps_api.main import create_app
    from apps_api.migrate import MigrationStateError
    from suuupra.settings import load_settings

    settings = load_settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with pytest.raises(MigrationStateError, match="suuupra db upgrade"):
        create_app(settings)


def test_cli_db_upgrade_then_current(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli.api_cmd import db_app
    from suuupra.settings import reset_settings_cache

    monkeypatch.setenv("SUUUPRA_DATA_DIR", str(tmp_path))
    reset_settings_cache()
    runner = CliRunner()
    before = runner.invoke(db_app, ["current"])
    assert "NEEDS UPGRADE" in before.output
    up = runner.invoke(db_app, ["upgrade"])
    assert up.exit_code == 0 and "database at revision" in up.output
    assert "OK" in runner.invoke(db_app, ["current"]).output
    reset_settings_cache()


def test_every_area_route_is_mounted_under_api_v1(api):
    """Routers are joined by plain imports: search, tutor and streaming are always there."""
    paths = set(api.app.openapi()["paths"])
    for path in ("/api/v1/courses", "/api/v1/search", "/api/v1/search/autocomplete",
                 "/api/v1/tutor/conversations", "/api/v1/videos/{asset_id}/playback",
                 "/api/v1/live/sessions", "/healthz"):
        assert path in paths, path
    assert not any(p.startswith("/api/v1/api/v1") for p in paths)


def test_dagster_relay_asset_and_ledger_check(api, monkeypatch):
    from dagster import build_asset_check_context, materialize

    from dagster_project.assets.apps_api import api_outbox_events, ledger_trial_balance_check
    from dagster_project.resources import resources_for

    api.user("ins", "instructor")
    api.user("ann")
    api.buy("ann", api.course("ins")["course"])
    monkeypatch.setenv("SUUUPRA_DATABASE_URL", api.state.settings.database_url)
    resources = resources_for(data_dir=str(api.state.settings.data_dir))  # database URL from the environment
    result = materialize([api_outbox_events], resources=resources)
    meta = result.asset_materializations_for_node("api_outbox_events")[0].metadata
    assert meta["published"].value > 5 and meta["pending_after"].value == 0
    check = ledger_trial_balance_check(build_asset_check_context(), resources["database"])
    assert check.passed and check.metadata["entries"].value == 1
