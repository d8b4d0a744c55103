"""Service token on the serving routes, without Ray: the check, its FastAPI wiring, the callers.

The end-to-end check (real Serve, token from the environment) is in
``test_serving_http.py``; these run in a second and pin the pieces.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, SecretStr

from serving.auth import ServiceToken, ServiceTokenRejected, bearer_headers, require_service_token

TOKEN = "s3rvice-token-for-tests-0123456789-abcdef"


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic " + TOKEN, "Bearer wrong", "Bearer " + TOKEN[:-1],
     "Bearer " + TOKEN + "x", TOKEN],
)
def test_anything_but_the_exact_bearer_token_is_rejected(header):
    with pytest.raises(ServiceTokenRejected):
        ServiceToken(SecretStr(TOKEN)).check(header)


@pytest.mark.parametrize("header", ["Bearer " + TOKEN, "bearer " + TOKEN, "  Bearer   " + TOKEN + "  "])
def test_the_bearer_token_is_accepted(header):
    ServiceToken(TOKEN).check(header)  # scheme is case-insensitive (RFC 7235)


def test_the_token_never_shows_and_cannot_be_empty():
    assert TOKEN not in repr(ServiceToken(TOKEN))
    with pytest.raises(ValueError, match="SUUUPRA_SERVE_SERVICE_TOKEN"):
        ServiceToken(SecretStr(""))
    assert bearer_headers(SecretStr(TOKEN)) == {"Authorization": f"Bearer {TOKEN}"}


class _Body(BaseModel):
    amount_minor: int


def _current() -> ServiceToken:
    return ServiceToken(TOKEN)


def _app() -> TestClient:
    """A route wired like the ingress's protected ones, with the ingress's 401 handler.

    The dependency goes through a cloudpickle round trip first, as it does on its way
    to a Serve replica (a closure loses the globals its body does not use).
    """
    import cloudpickle

    from serving.ingress import api

    app = FastAPI()
    app.add_exception_handler(ServiceTokenRejected, api.exception_handlers[ServiceTokenRejected])
    guard = Depends(cloudpickle.loads(cloudpickle.dumps(require_service_token(_current))))

    @app.post("/score", dependencies=[guard])
    async def score(body: _Body) -> dict[str, int]:
        return {"amount_minor": body.amount_minor}

    return TestClient(app)


def test_the_dependency_answers_401_problem_json_before_the_body_is_validated():
    client = _app()
    for headers in ({}, {"Authorization": "Bearer nope"}):
        r = client.post("/score", json={"amount_minor": "not a number"}, headers=headers)
        assert r.status_code == 401, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["title"] == "Unauthorized" and r.json()["status"] == 401
    ok = client.post("/score", json={"amount_minor": 5}, headers=bearer_headers(TOKEN))
    assert ok.status_code == 200 and ok.json() == {"amount_minor": 5}
    assert client.post("/score", json={"amount_minor": "x"}, headers=bearer_headers(TOKEN)).status_code == 422


def test_the_ingress_documents_401_on_scoring_and_admin_routes_only():
    """Enforcement per route is checked through real Serve in test_serving_http.py."""
    from serving.ingress import PROTECTED_PATHS, api

    paths = api.openapi()["paths"]
    documented = {p for p, ops in paths.items() if any("401" in op.get("responses", {}) for op in ops.values())}
    assert documented == PROTECTED_PATHS == {"/fraud/score", "/admin/reload"}
    assert {"/recommendations", "/status", "/healthz"} <= set(paths) - documented


@pytest.fixture()
def settings(tmp_path):
    """Settings as a value (the code under test is handed them, never the environment)."""
    from suuupra.settings import load_settings

    return load_settings(profile="local", data_dir=tmp_path, serve_service_token=TOKEN)


def test_the_composed_app_hands_the_token_to_the_ingress():
    from serving.app import ServingArgs, compose_app

    ingress = compose_app(ServingArgs(), SecretStr(TOKEN))._bound_deployment
    token = ingress.init_kwargs["service_token"]
    assert isinstance(token, SecretStr) and token.get_secret_value() == TOKEN


def test_the_builder_reads_the_token_of_its_build_process(tmp_path, monkeypatch):
    """Serve calls the builder with the config's args only: the token comes from the Serve
    build process's environment (a test of that edge, so configured through it here)."""
    from serving.app import ServingArgs, build_app

    monkeypatch.setenv("SUUUPRA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SUUUPRA_SERVE_SERVICE_TOKEN", TOKEN)
    token = build_app(ServingArgs())._bound_deployment.init_kwargs["service_token"]
    assert token.get_secret_value() == TOKEN


# ---------------------------------------------------------------- callers
def test_cli_reload_sends_the_token_and_explains_a_refusal(settings, monkeypatch):
    from cli import serve_cmd as cli
    from suuupra.errors import CLIError

    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        if request.url.path == "/admin/reload" and request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"status": 401, "title": "Unauthorized"})
        return httpx.Response(200, json={"status": "ok", "deployments": []})

    transport = httpx.MockTransport(answer)
    monkeypatch.setattr(cli, "_client", lambda s: httpx.Client(base_url="http://serve", transport=transport))
    assert cli._call(settings, "POST", "/admin/reload", authorized=True) == {"status": "ok", "deployments": []}
    assert seen == [f"Bearer {TOKEN}"]
    other = settings.model_copy(update={"serve_service_token": SecretStr("another-token-0123456789-0123456789")})
    with pytest.raises(CLIError, match="SUUUPRA_SERVE_SERVICE_TOKEN"):
        cli._call(other, "POST", "/admin/reload", authorized=True)
    cli._call(settings, "GET", "/status")
    assert seen[-1] is None  # public routes get no token


def test_lifecycle_reload_sends_the_token_and_fails_loudly_when_refused(settings, monkeypatch):
    from serving import lifecycle

    monkeypatch.setattr(lifecycle, "champion_versions", lambda s: {"suuupra-recommender": "2"})
    monkeypatch.setattr(lifecycle, "served_versions", lambda s: {"suuupra-recommender": "1"})
    sent: list[dict[str, str]] = []

    def post(url: str, *, headers: dict[str, str], **_: object) -> httpx.Response:
        sent.append(headers)
        ok = headers == bearer_headers(settings.serve_service_token)
        return httpx.Response(200 if ok else 401)

    monkeypatch.setattr(httpx, "post", post)
    assert lifecycle.reload_if_moved(settings).reloaded is True
    assert sent == [bearer_headers(settings.serve_service_token)]
    other = settings.model_copy(update={"serve_service_token": SecretStr("x")})
    monkeypatch.setattr(httpx, "post", lambda url, **kw: httpx.Response(401))
    with pytest.raises(PermissionError, match="SUUUPRA_SERVE_SERVICE_TOKEN"):
        lifecycle.reload_if_moved(other)


def test_apps_api_fraud_client_sends_the_token():
    from datetime import UTC, datetime

    from apps_api.fraud import FraudClient, FraudRequest

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401)
        return httpx.Response(200, json={"probability": 0.1, "decision": "approve", "reasons": [],
                                         "model_version": "suuupra-fraud/v1"})

    req = FraudRequest(learner_id="L1", amount_minor=1000, currency="INR", method="upi", device_id="d",
                       ip="1.2.3.4", country="IN", occurred_at=datetime(2026, 11, 24, 12, tzinfo=UTC))
    results = {}
    for name, token in (("right", SecretStr(TOKEN)), ("none", None), ("wrong", "nope")):
        client = FraudClient("http://serve/fraud/score", 2000, 100_000, service_token=token)
        client._client = httpx.Client(transport=httpx.MockTransport(answer), headers=client._client.headers)
        results[name] = client.score(req)
        client.close()
    assert results["right"].fallback is False and results["right"].model_version == "suuupra-fraud/v1"
    assert results["none"].reasons == results["wrong"].reasons == ["scorer_unavailable:http_401"]
