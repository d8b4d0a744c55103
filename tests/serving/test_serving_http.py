"""Integration tests through HTTP against ONE running Serve app (module-scoped).

Real models (trained here with the models team's API, published to a temp MLflow
registry), real Ray Serve, real HTTP. The online feature store is not materialised
in this temp data dir, so fraud answers exercise the documented fallback.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime

import httpx
import pandas as pd
import pytest
from ray_head import ray_head
from serving_test_models import (
    REC_EXAMPLE,
    course_id,
    fraud_example,
    interactions_frame,
    learner_id,
    train_small_fraud,
    train_small_recommender,
)

from serving.tutor_local import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

UNPUBLISHED = course_id(8)
# not the dev default: proves the token reaches the builder from the cluster's environment
SERVICE_TOKEN = secrets.token_urlsafe(32)
AUTH = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
APP_ARGS = {"poll_interval_s": 1.0, "fraud_replicas": 2, "request_timeout_s": 10.0}


def _config(settings, deployments=None) -> dict:
    """serve_local.yaml with the test's args; the same declarative path as production."""
    from serving import runtime

    deps = deployments or [
        {"name": "Ingress", "num_replicas": 1},
        {"name": "Recommender", "num_replicas": 1, "user_config": {"poll_interval_s": 1.0}},
        {"name": "FraudScorer", "num_replicas": 2,
         "user_config": {"poll_interval_s": 1.0, "max_batch_size": 16, "batch_wait_timeout_s": 0.005}},
    ]
    return runtime.platform_config(settings, APP_ARGS, tutor=False, deployments=deps)


def _payment(**over):
    body = {"learner_id": learner_id(1), "amount_minor": 49_900, "currency": "INR", "method": "card",
            "device_id": "dev-1", "ip": "10.0.0.1", "country": "IN", "occurred_at": "2026-11-24T02:00:00Z"}
    body.update(over)
    return body


def _wait_status(client: httpx.Client, predicate, timeout_s: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout_s
    last: dict = {}
    while time.monotonic() < deadline:
        try:
            r = client.get("/status", timeout=30)
            last = r.json()
            if r.status_code == 200 and predicate(last):
                return last
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"status never satisfied the condition; last: {last}")


@pytest.fixture(scope="module")
def serve_app(tmp_path_factory):
    from suuupra.settings import load_settings

    data = tmp_path_factory.mktemp("serving") / "data"
    data.mkdir()
    # The token lives in the cluster's environment, where the Serve builder reads it
    # (never in a config: Serve shows those). Everything else is handed over by value.
    cluster_env = {"SUUUPRA_SERVE_SERVICE_TOKEN": SERVICE_TOKEN}
    # Ray runs as a private head started by the CLI (see tests/ray_head.py for why)
    with ExitStack() as cleanup:
        address = cleanup.enter_context(ray_head(2, data.parent / "ray_head.log", cluster_env))
        settings = load_settings(profile="local", data_dir=data, serve_port=free_port(), ray_address=address,
                                 serve_service_token=SERVICE_TOKEN)
        yield from _serve_with_champions(settings, data, cleanup)


def _serve_with_champions(settings, data, cleanup: ExitStack):
    from serving.model_source import FRAUD_MODEL, RECOMMENDER_MODEL, register_for_serving

    def publish() -> None:
        register_for_serving(settings, RECOMMENDER_MODEL, train_small_recommender(seed=0), REC_EXAMPLE)
        register_for_serving(settings, FRAUD_MODEL, train_small_fraud(seed=0), fraud_example())

    # the lake catalogue says one popular course was unpublished
    table = settings.tables_dir / "course_daily"
    table.mkdir(parents=True)
    courses = sorted(interactions_frame()["item_id"].unique())
    pd.DataFrame({"course_id": courses, "date": "2026-11-23",
                  "published": [c != UNPUBLISHED for c in courses]}).to_parquet(table / "part-0.parquet")

    # Publish the champions while Ray starts: replicas that come up before them
    # answer 503 and pick the champion up at their next poll (that is the design).
    from mlflow import MlflowClient

    from serving import runtime

    uri = settings.mlflow_tracking_uri
    (data / "mlflow").mkdir()
    MlflowClient(uri, uri).search_registered_models()  # create the SQLite schema once, before any racer
    publisher = threading.Thread(target=publish)
    publisher.start()
    cleanup.callback(runtime.shutdown)
    runtime.start(settings)
    runtime.apply_config(_config(settings))
    publisher.join()
    client = cleanup.enter_context(httpx.Client(base_url=runtime.base_url(settings), timeout=15, trust_env=False,
                                                headers=AUTH))
    _wait_status(client, lambda s: s["status"] == "ok")
    yield {"client": client, "settings": settings, "data": data}


# ---------------------------------------------------------------- recommendations
def test_known_learner_gets_ranked_unseen_published_courses(serve_app):
    client = serve_app["client"]
    rid = f"req-{uuid.uuid4().hex[:8]}"
    r = client.post("/recommendations", json={"learner_id": learner_id(3), "k": 5, "surface": "home"},
                    headers={"X-Request-ID": rid})
    assert r.status_code == 200, r.text
    body = r.json()
    assert r.headers["X-Request-ID"] == rid and body["request_id"] == rid
    assert body["model_version"] == "suuupra-recommender/v1"
    assert body["cold_start"] is False
    uuid.UUID(body["recommendation_id"])
    ids = [i["course_id"] for i in body["items"]]
    assert len(ids) == 5 and len(set(ids)) == 5
    assert [i["rank"] for i in body["items"]] == [1, 2, 3, 4, 5]
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)
    seen = set(interactions_frame().query("user_id == @learner_id(3)")["item_id"])
    assert not seen & set(ids), "enrolled courses must be filtered"
    assert UNPUBLISHED not in ids, "unpublished courses must be filtered"
    assert all(i["reason"] for i in body["items"])


def test_unknown_learner_gets_cold_start_answer(serve_app):
    r = serve_app["client"].post("/recommendations", json={"learner_id": "brand-new-learner", "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["cold_start"] is True and len(body["items"]) == 3
    assert UNPUBLISHED not in [i["course_id"] for i in body["items"]]


def test_course_page_returns_similar_courses(serve_app):
    anchor = course_id(1)
    r = serve_app["client"].post(
        "/recommendations",
        json={"learner_id": "visitor", "k": 3, "surface": "course_page", "course_id": anchor},
    )
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 3 and anchor not in [i["course_id"] for i in items]
    assert items[0]["reason"] == f"similar to {anchor}"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"k": 3}, "learner_id"),
        ({"learner_id": "L1", "k": 0}, "k"),
        ({"learner_id": "L1", "surface": "fridge"}, "surface"),
        ({"learner_id": "L1", "colour": "red"}, "colour"),
    ],
)
def test_malformed_recommendation_requests_are_problem_json(serve_app, payload, field):
    r = serve_app["client"].post("/recommendations", json=payload)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 422 and field in body["detail"]


def test_invalid_json_is_a_4xx_not_a_500(serve_app):
    r = serve_app["client"].post("/recommendations", content=b"{not json",
                                 headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


def test_served_recommendations_are_logged_with_their_id(serve_app):
    from suuupra.eventlog import LocalEventLog

    r = serve_app["client"].post("/recommendations", json={"learner_id": learner_id(5), "k": 2,
                                                           "surface": "post_enrollment"})
    rec_id = r.json()["recommendation_id"]
    events_dir = serve_app["settings"].events_dir
    deadline = time.monotonic() + 15
    found = []
    while time.monotonic() < deadline and not found:
        time.sleep(0.5)
        found = [e for e in LocalEventLog(events_dir).read("recommendations") if e["recommendation_id"] == rec_id]
    assert found, "recommendation.served event not written"
    ev = found[0]
    assert ev["event_type"] == "recommendation.served" and ev["surface"] == "post_enrollment"
    assert ev["course_ids"] == [i["course_id"] for i in r.json()["items"]]
    assert ev["model_version"] == r.json()["model_version"]


# ---------------------------------------------------------------- fraud
def test_fraud_score_answers_with_fallback_when_features_are_missing(serve_app):
    r = serve_app["client"].post("/fraud/score", json=_payment())
    assert r.status_code == 200, r.text
    body = r.json()
    assert 0.0 <= body["probability"] <= 1.0
    assert body["decision"] in {"approve", "review"}  # fallback never auto-declines
    assert body["fallback"] is True and body["reasons"][0] == "FEATURES_MISSING"
    assert body["model_version"] == "suuupra-fraud/v1"


def test_fraud_scores_follow_the_model(serve_app):
    client = serve_app["client"]
    risky = client.post("/fraud/score", json=_payment(amount_minor=90_000, country="NG",
                                                      occurred_at="2026-11-24T02:00:00+00:00")).json()
    safe = client.post("/fraud/score", json=_payment(amount_minor=500, country="IN",
                                                     occurred_at="2026-11-24T14:00:00+00:00")).json()
    assert risky["probability"] > safe["probability"] + 0.2


@pytest.mark.parametrize(
    ("over", "field"),
    [({"currency": "inr"}, "currency"), ({"amount_minor": -5}, "amount_minor"),
     ({"occurred_at": "2026-11-24T02:00:00"}, "occurred_at"), ({"method": "cash"}, "method")],
)
def test_malformed_payments_are_rejected_with_the_field_named(serve_app, over, field):
    r = serve_app["client"].post("/fraud/score", json=_payment(**over))
    assert r.status_code == 422 and field in r.json()["detail"]


def test_apps_api_fraud_client_gets_a_real_decision(serve_app):
    from apps_api.fraud import FraudClient, FraudRequest

    settings = serve_app["settings"]
    client = FraudClient(settings.fraud_scorer_url, timeout_ms=5000, approve_max_minor=200_000,
                         service_token=settings.serve_service_token)
    try:
        d = client.score(FraudRequest(learner_id="L1", amount_minor=1000, currency="INR", method="upi",
                                      device_id="d", ip="1.2.3.4", country="IN",
                                      occurred_at=datetime(2026, 11, 24, 12, tzinfo=UTC)))
    finally:
        client.close()
    assert d.model_version == "suuupra-fraud/v1" and d.probability is not None


# ---------------------------------------------------------------- service token
def _assert_unauthorized(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"].startswith("Bearer")
    body = r.json()
    assert body["status"] == 401 and body["title"] == "Unauthorized" and body["request_id"]
    assert SERVICE_TOKEN not in r.text


@pytest.mark.parametrize("path", ["/fraud/score", "/admin/reload"])
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {SERVICE_TOKEN}"},
     {"Authorization": f"Bearer {SERVICE_TOKEN}x"}],
    ids=["missing", "wrong", "not-bearer", "prefix-of-right"],
)
def test_scoring_and_admin_routes_need_the_service_token(serve_app, path, headers):
    with httpx.Client(base_url=serve_app["client"].base_url, timeout=15, trust_env=False) as bare:
        _assert_unauthorized(bare.post(path, json=_payment(), headers=headers))


def test_the_dev_default_token_is_refused_when_another_is_configured(serve_app):
    from suuupra.settings import Settings

    dev = Settings.model_fields["serve_service_token"].default.get_secret_value()
    with httpx.Client(base_url=serve_app["client"].base_url, timeout=15, trust_env=False) as bare:
        _assert_unauthorized(bare.post("/fraud/score", json=_payment(), headers={"Authorization": f"Bearer {dev}"}))


def test_an_unauthenticated_malformed_body_gets_401_not_field_details(serve_app):
    with httpx.Client(base_url=serve_app["client"].base_url, timeout=15, trust_env=False) as bare:
        _assert_unauthorized(bare.post("/fraud/score", json={"currency": "inr"}))
        _assert_unauthorized(bare.post("/fraud/score", content=b"{not json",
                                       headers={"content-type": "application/json"}))


def test_the_right_token_scores_and_reloads(serve_app):
    with httpx.Client(base_url=serve_app["client"].base_url, timeout=30, trust_env=False) as bare:
        scored = bare.post("/fraud/score", json=_payment(), headers=AUTH)
        reloaded = bare.post("/admin/reload", headers={"Authorization": f"bearer {SERVICE_TOKEN}"})
        assert scored.status_code == 200, scored.text
        assert scored.json()["model_version"].startswith("suuupra-fraud/")
        assert reloaded.status_code == 200, reloaded.text
        assert {d["name"] for d in reloaded.json()["deployments"]} == {"Recommender", "FraudScorer"}


def test_read_routes_stay_public(serve_app):
    with httpx.Client(base_url=serve_app["client"].base_url, timeout=30, trust_env=False) as bare:
        assert bare.get("/healthz").status_code == 200
        assert bare.get("/status").status_code == 200
        r = bare.post("/recommendations", json={"learner_id": learner_id(3), "k": 2})
        assert r.status_code == 200, r.text


def test_apps_api_fraud_client_without_the_token_falls_back(serve_app):
    from apps_api.fraud import FraudClient, FraudRequest

    client = FraudClient(serve_app["settings"].fraud_scorer_url, timeout_ms=5000, approve_max_minor=200_000)
    try:
        d = client.score(FraudRequest(learner_id="L1", amount_minor=1000, currency="INR", method="upi",
                                      device_id="d", ip="1.2.3.4", country="IN",
                                      occurred_at=datetime(2026, 11, 24, 12, tzinfo=UTC)))
    finally:
        client.close()
    assert d.fallback is True and d.reasons == ["scorer_unavailable:http_401"]


# ---------------------------------------------------------------- lifecycle
async def _stream(base: str, stop: asyncio.Event, results: list, concurrency: int = 4) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=15, trust_env=False, headers=AUTH) as client:
        async def worker(n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    if (n + i) % 2:
                        r = await client.post("/recommendations", json={"learner_id": learner_id(i % 50), "k": 3})
                    else:
                        r = await client.post("/fraud/score", json=_payment(amount_minor=1000 + i))
                    results.append((r.status_code, r.json().get("model_version") if r.status_code == 200 else r.text))
                except httpx.HTTPError as exc:
                    results.append((0, repr(exc)))

        await asyncio.gather(*(worker(n) for n in range(concurrency)))


def test_champion_swap_under_load_drops_nothing(serve_app):
    from serving.model_source import FRAUD_MODEL, RECOMMENDER_MODEL, register_for_serving

    client, settings = serve_app["client"], serve_app["settings"]
    base = str(client.base_url)
    rec_v2 = train_small_recommender(seed=1, factors=6)
    fraud_v2 = train_small_fraud(seed=1)
    results: list = []

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(_stream(base, stop, results))
        await asyncio.sleep(1.5)
        await asyncio.to_thread(register_for_serving, settings, RECOMMENDER_MODEL, rec_v2, REC_EXAMPLE)
        await asyncio.to_thread(register_for_serving, settings, FRAUD_MODEL, fraud_v2, fraud_example())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            new = {v for s, v in results[-20:] if s == 200}
            if {"suuupra-recommender/v2", "suuupra-fraud/v2"} <= new:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.0)
        stop.set()
        await task

    asyncio.run(scenario())
    failures = [r for r in results if r[0] != 200]
    assert len(results) > 50
    assert not failures, failures[:5]
    versions = [v for _, v in results]
    assert "suuupra-recommender/v1" in versions and "suuupra-recommender/v2" in versions
    assert "suuupra-fraud/v1" in versions and "suuupra-fraud/v2" in versions
    # once a replica serves v2 it never goes back
    rec = [v for v in versions if v.startswith("suuupra-recommender")]
    assert rec[rec.index("suuupra-recommender/v2"):].count("suuupra-recommender/v1") == 0
    status = _wait_status(client, lambda s: all(d["model_version"].endswith("/v2") for d in s["deployments"]))
    assert status["status"] == "ok"


def test_pinning_a_version_rolls_back_in_place_and_lifecycle_sees_it(serve_app):
    """Rollback = reconfigure (user_config ``model_version``) on live replicas, no dropped requests."""
    from serving import runtime
    from serving.lifecycle import champion_versions, reload_if_moved

    client = serve_app["client"]
    results: list = []

    pinned = [
        {"name": "Ingress", "num_replicas": 1},
        {"name": "Recommender", "num_replicas": 1, "user_config": {"poll_interval_s": 1.0, "model_version": "1"}},
        {"name": "FraudScorer", "num_replicas": 2,
         "user_config": {"poll_interval_s": 1.0, "max_batch_size": 16, "batch_wait_timeout_s": 0.005}},
    ]
    replicas_before = _replica_names()

    async def scenario(deployments: list | None, want: str) -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(_stream(str(client.base_url), stop, results))
        await asyncio.sleep(0.5)
        await asyncio.to_thread(runtime.apply_config, _config(serve_app["settings"], deployments))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and want not in {v for s, v in results[-10:] if s == 200}:
            await asyncio.sleep(0.3)
        stop.set()
        await task

    asyncio.run(scenario(pinned, "suuupra-recommender/v1"))
    assert not [r for r in results if r[0] != 200]
    assert _replica_names() == replicas_before, "a user_config change must not replace replicas"
    status = client.get("/status").json()
    rec = next(d for d in status["deployments"] if d["name"] == "Recommender")
    assert rec["pinned"] is True and rec["model_version"] == "suuupra-recommender/v1"
    assert champion_versions(serve_app["settings"])["suuupra-recommender"] == "2"
    report = reload_if_moved(serve_app["settings"])
    assert report.reachable and report.stale == ["suuupra-recommender"]  # pinned: reload cannot override
    assert report.served_after["suuupra-recommender"] == "1"

    results.clear()
    asyncio.run(scenario(None, "suuupra-recommender/v2"))
    assert not [r for r in results if r[0] != 200]
    assert reload_if_moved(serve_app["settings"]).stale == []


def _replica_names() -> set[str]:
    import ray

    return {a["name"] for a in ray.util.list_named_actors(all_namespaces=True) if a["name"].startswith("SERVE_REPLICA")}


def test_killing_a_replica_under_load_keeps_errors_below_one_percent(serve_app):
    import ray
    from ray import serve

    client = serve_app["client"]
    base = str(client.base_url)
    victims = [a for a in ray.util.list_named_actors(all_namespaces=True)
               if "FraudScorer" in a["name"] and a["name"].startswith("SERVE_REPLICA")]
    assert len(victims) == 2, victims
    results: list = []

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(_stream(base, stop, results, concurrency=6))
        await asyncio.sleep(1.5)
        ray.kill(ray.get_actor(victims[0]["name"], namespace=victims[0]["namespace"]), no_restart=True)
        await asyncio.sleep(6.0)
        stop.set()
        await task

    asyncio.run(scenario())
    errors = [r for r in results if r[0] != 200]
    assert len(results) > 100
    assert len(errors) / len(results) < 0.01, errors[:5]
    # recovers by itself: the controller replaces the replica
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        dep = serve.status().applications["suuupra"].deployments["FraudScorer"]
        if dep.replica_states.get("RUNNING", 0) == 2 and str(dep.status).endswith("HEALTHY"):
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"FraudScorer did not recover: {dep}")
    names = {a["name"] for a in ray.util.list_named_actors(all_namespaces=True) if "FraudScorer" in a["name"]}
    assert victims[0]["name"] not in names
    assert client.post("/fraud/score", json=_payment()).status_code == 200
