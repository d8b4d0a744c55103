"""Serving logic without Ray: real small models, real MLflow registry, real feature rows.

Settings are values built here (``load_settings(data_dir=...)``) and passed to the
code under test, never configured through the environment.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

import pytest
from serving_test_models import (
    FRAUD_FEATURES,
    REC_EXAMPLE,
    learner_id,
    train_small_fraud,
    train_small_recommender,
)

from serving.catalog import CourseCatalog
from serving.feature_source import FeatureRows
from serving.model_source import LoadedModel
from serving.schemas import FraudScoreRequest, RecommendationRequest


@pytest.fixture()
def local_settings(tmp_path: Path):
    from suuupra.settings import load_settings

    data = tmp_path / "data"
    data.mkdir()
    return load_settings(profile="local", data_dir=data)


@pytest.fixture(scope="module")
def rec():
    return LoadedModel("suuupra-recommender", "7", train_small_recommender())


@pytest.fixture(scope="module")
def fraud():
    return LoadedModel("suuupra-fraud", "3", train_small_fraud())


def test_online_flags_filter_enrolled_and_unpublished(rec):
    from serving.recommender import candidates, finalize

    req = RecommendationRequest(learner_id=learner_id(2), k=4, surface="home")
    rows, known = candidates(rec, req)
    assert known and len(rows) > 4
    first, second = rows[0][0], rows[1][0]
    feats = [{} for _ in rows]
    feats[0] = {"learner_course__enrolled": True}
    feats[1] = {"course_stats__published": False}
    out = finalize(rec, req, rows, known, FeatureRows(feats, [False] * len(rows)), CourseCatalog())
    ids = [i.course_id for i in out.items]
    assert first not in ids and second not in ids and len(ids) == 4
    assert out.model_version == "suuupra-recommender/v7" and out.features_missing is False


def test_defaulted_features_do_not_hide_courses(rec):
    """features.online lists defaulted values as missing; serving must not read them as `False`."""
    from features.online import OnlineFeatures
    from serving.feature_source import from_online
    from serving.recommender import candidates, finalize

    req = RecommendationRequest(learner_id="new", k=3)
    rows, known = candidates(rec, req)
    n = len(rows)
    answer = OnlineFeatures("recommender_v1", rows=[{"course_stats__published": False}] * n,
                            unknown_entity=[True] * n, missing=[["course_stats__published"]] * n, latency_ms=1.0)
    out = finalize(rec, req, rows, known, from_online(answer), CourseCatalog())
    assert len(out.items) == 3 and out.cold_start is True and out.features_missing is True


def test_served_event_validates_against_the_event_schema(rec):
    from serving.recommender import candidates, finalize, served_event

    req = RecommendationRequest(learner_id=learner_id(1), k=2, surface="course_page")
    rows, known = candidates(rec, req)
    out = finalize(rec, req, rows, known, FeatureRows.missing(len(rows), "down"), CourseCatalog())
    ev = served_event(out)
    assert ev.event_type == "recommendation.served" and ev.recommendation_id == out.recommendation_id
    assert ev.course_ids == [i.course_id for i in out.items]


def test_an_unloaded_model_raises_a_503_serving_error():
    """No sentinel answers: the deployment raises, the ingress maps status + detail once."""
    import pickle

    from serving.errors import ModelUnavailable, ServingError
    from serving.fraud import score_batch
    from serving.recommender import candidates

    with pytest.raises(ModelUnavailable) as rec_err:
        candidates(None, RecommendationRequest(learner_id="L1"))
    with pytest.raises(ModelUnavailable):
        score_batch(None, [_req()], FeatureRows([{}], [False]))
    copy = pickle.loads(pickle.dumps(rec_err.value))  # how it crosses the handle
    assert isinstance(copy, ServingError) and (copy.status, copy.title) == (503, "Model unavailable")
    assert "champion" in copy.detail
    custom = pickle.loads(pickle.dumps(ServingError("gone", status=410, title="Gone")))
    assert (custom.status, custom.detail, custom.title) == (410, "gone", "Gone")


def _req(**over) -> FraudScoreRequest:
    body = {"learner_id": "L1", "amount_minor": 90_000, "currency": "INR", "method": "card", "device_id": "d",
            "ip": "1.1.1.1", "country": "NG", "occurred_at": "2026-11-24T02:00:00+00:00"}
    body.update(over)
    return FraudScoreRequest.model_validate(body)


def test_fraud_with_features_follows_the_policy(fraud):
    from serving.fraud import score_batch

    reqs = [_req(), _req(amount_minor=300, country="IN", occurred_at="2026-11-24T13:00:00+00:00")]
    out = score_batch(fraud, reqs, FeatureRows([{}, {}], [False, False]))
    model = fraud.model
    assert [o.fallback for o in out] == [False, False]
    assert out[0].probability > out[1].probability
    for o in out:
        assert o.decision == model.policy.decide([o.probability])[0]
        assert "FEATURES_MISSING" not in o.reasons
    assert set(model.features) == set(FRAUD_FEATURES)  # serving rebuilt what training used


def test_fraud_fallback_never_declines_and_is_flagged(fraud):
    from models.fraud import DecisionPolicy
    from serving.fraud import score_batch

    strict = LoadedModel(fraud.name, fraud.version, fraud.model)
    original = strict.model.policy
    strict.model.policy = DecisionPolicy(review_threshold=0.0, decline_threshold=0.0)  # declines everything
    try:
        out = score_batch(strict, [_req(), _req()], FeatureRows([{}, {}], [True, False]))
    finally:
        strict.model.policy = original
    assert out[0].fallback is True and out[0].decision == "review"
    assert out[0].reasons[0] == "FEATURES_MISSING"
    assert out[1].fallback is False and out[1].decision == "decline"


def test_hot_swap_follows_the_champion_alias(local_settings):
    """Real MLflow registry: the holder loads v1, then v2 after the alias moves, and keeps v2 on errors."""
    from serving.model_source import RECOMMENDER_MODEL, ChampionSource, HotSwapModel, register_for_serving

    uri = str(local_settings.mlflow_tracking_uri)
    empty = HotSwapModel(ChampionSource(RECOMMENDER_MODEL, uri), poll_interval_s=3600)
    empty.start()  # nothing registered yet: reported, not raised
    empty.stop()
    assert empty.current is None and "champion" in (empty.last_error or "")

    register_for_serving(local_settings, RECOMMENDER_MODEL, train_small_recommender(seed=0), REC_EXAMPLE)
    holder = HotSwapModel(ChampionSource(RECOMMENDER_MODEL, uri), poll_interval_s=3600)
    holder.start()
    try:
        assert holder.current is not None and holder.current.version == "1"
        v1 = holder.current
        assert holder.refresh() is False  # nothing moved
        register_for_serving(local_settings, RECOMMENDER_MODEL, train_small_recommender(seed=1), REC_EXAMPLE)
        holder.request_refresh()
        deadline = time.monotonic() + 30
        while holder.current.version != "2" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert holder.current.version == "2"
        assert v1.model is not holder.current.model  # the old object stays intact for in-flight requests
        _check_sensor_follows_the_alias(local_settings)
        holder.configure(pinned_version="1")
        assert holder.current.version == "1" and holder.status()["pinned"] is True
        holder.configure(pinned_version="999")  # unknown version: keep serving, report the error
        assert holder.current.version == "1" and holder.last_error
    finally:
        holder.stop()


def _check_sensor_follows_the_alias(settings) -> None:
    from dagster import RunRequest, SkipReason, build_sensor_context

    from dagster_project.assets.serving import serving_champion_sensor
    from dagster_project.resources import resources_for
    from serving.lifecycle import champion_versions

    assert champion_versions(settings) == {"suuupra-recommender": "2", "suuupra-fraud": None}
    resources = {"mlflow": resources_for("local", str(settings.data_dir))["mlflow"]}  # the test's data dir
    with build_sensor_context(resources=resources) as ctx:
        first = serving_champion_sensor(ctx)
    assert isinstance(first, RunRequest) and "suuupra-recommender=2" in first.run_key
    with build_sensor_context(cursor=ctx.cursor, resources=resources) as ctx2:
        assert isinstance(serving_champion_sensor(ctx2), SkipReason)


def test_serve_configs_validate_and_build():
    import yaml
    from pydantic import SecretStr
    from ray.serve.schema import ServeDeploySchema

    from serving.app import ServingArgs, compose_app
    from serving.runtime import config_path

    for profile in ("local", "prod"):
        cfg = yaml.safe_load(config_path(profile).read_text())
        ServeDeploySchema.model_validate(cfg)
        apps = {a["name"]: a for a in cfg["applications"]}
        assert {"suuupra", "llm", "tutor"} <= set(apps)
        args = ServingArgs.model_validate(apps["suuupra"]["args"])
        assert compose_app(args, SecretStr("t" * 32)) is not None  # binds the graph without a cluster
        deps = {d["name"] for d in apps["suuupra"]["deployments"]}
        assert deps == {"Ingress", "Recommender", "FraudScorer"}
        assert apps["llm"]["import_path"] == "serving.llm:build_llm_app"
        for app in cfg["applications"]:  # every import path names a builder that exists
            module, _, attr = app["import_path"].partition(":")
            assert callable(getattr(importlib.import_module(module), attr)), app["import_path"]


def test_every_builder_shares_the_replica_options():
    from serving.app import NoOpArgs, ServingArgs
    from serving.llm.local_app import LocalLLMArgs
    from serving.options import ReplicaArgs
    from serving.tutor_app import TutorArgs

    env = {"SUUUPRA_DATA_DIR": "/srv/data"}
    for cls in (ServingArgs, NoOpArgs, TutorArgs, LocalLLMArgs):
        assert issubclass(cls, ReplicaArgs)
        opts = cls(num_cpus=0.25, env_vars=env).actor_options()
        assert opts == {"num_cpus": 0.25, "runtime_env": {"env_vars": env}}
    assert ServingArgs.model_validate({"env": env}).env_vars == env  # the older spelling still reads


@pytest.mark.slow
def test_real_online_store_drives_filters_and_fraud_features(local_settings, rec, fraud):
    """The feature team's store (applied + materialised sample tables): no fallback for known entities."""
    from features.apply import apply_repo
    from features.materialize import materialize_incremental
    from features.sample_data import write_sample_tables
    from serving.feature_source import OnlineFeatureClient
    from serving.fraud import WARMUP_ROW, entity_rows, score_batch

    settings = local_settings.model_copy(update={"feast_online_budget_ms": 5000.0})  # shared, loaded CI box
    world = write_sample_tables(settings)
    apply_repo(settings)
    materialize_incremental(settings)

    client = OnlineFeatureClient("fraud_v1", settings, warmup_row=WARMUP_ROW)
    assert client.get([WARMUP_ROW]).error == "feature store warming up"  # never blocks a request
    client.warm_up(background=False)
    known = _req(learner_id=world.learners[1], device_id=world.devices[1], ip=world.ips[1])
    unknown = _req(learner_id="nobody", device_id="nowhere", ip="0.0.0.0")
    feats = client.get(entity_rows([known, unknown]))
    assert feats.available and feats.unknown == [False, True], feats.error
    assert any(k.startswith("learner_payment_velocity__") for k in feats.rows[0])
    out = score_batch(fraud, [known, unknown], feats)
    assert [o.fallback for o in out] == [False, True]

    recs = OnlineFeatureClient("recommender_v1", settings)
    recs.warm_up(background=False)
    rows = recs.get([{"learner_id": world.learners[0], "course_id": c} for c in world.courses])
    assert rows.available and not all(rows.unknown)
    assert any(k.endswith("__published") for r in rows.rows for k in r)


class _Response:
    """What ``handle.method.remote()`` returns: awaitable, cancellable."""

    def __init__(self, outcome):
        self.outcome = outcome

    def __await__(self):
        async def settle():
            if isinstance(self.outcome, BaseException):
                raise self.outcome
            return self.outcome

        return settle().__await__()

    def cancel(self) -> None:
        pass


def _ingress_answer(outcome, rid: str = "rid-1"):
    """Run the ingress's call path (``Ingress._serve``) against a fake model handle."""
    import asyncio
    import json
    from types import SimpleNamespace

    from serving.ingress import Ingress
    from serving.schemas import RecommendationResponse

    cls = Ingress.func_or_class
    sent = []

    def remote(payload):
        sent.append(payload)
        return _Response(outcome)

    ingress = SimpleNamespace(timeout_s=2.0, max_attempts=1)
    ingress._call = cls._call.__get__(ingress)
    payload = RecommendationRequest(learner_id="L1", k=2)
    response = asyncio.run(cls._serve(ingress, "/recommendations", rid, SimpleNamespace(remote=remote), payload,
                                      RecommendationResponse))
    assert sent == [payload]  # the handle got the typed request itself, not a dict
    return response.status_code, response.headers["content-type"], json.loads(response.body)


def test_the_ingress_maps_deployment_errors_to_problem_json_once():
    from ray.exceptions import RayTaskError

    from serving.errors import ModelUnavailable, ServingError

    cause = ModelUnavailable("no recommender model is loaded yet")
    # Ray re-raises a replica's exception as a subclass of both RayTaskError and its own type
    wrapped = RayTaskError("recommend", "Traceback ...", cause).as_instanceof_cause()
    for outcome in (cause, wrapped):
        status, ctype, body = _ingress_answer(outcome)
        assert status == 503 and ctype.startswith("application/problem+json")
        assert body["title"] == "Model unavailable" and body["detail"] == "no recommender model is loaded yet"
        assert body["request_id"] == "rid-1" and body["type"] == "about:blank"
    custom = RayTaskError("recommend", "tb", ServingError("gone", status=410, title="Gone")).as_instanceof_cause()
    assert _ingress_answer(custom)[0] == 410
    status, _, body = _ingress_answer(RuntimeError("boom"))
    assert status == 503 and body["detail"] == "/recommendations failed: RuntimeError"


def test_the_ingress_returns_the_typed_answer_with_the_request_id(rec):
    from serving.recommender import candidates, finalize

    req = RecommendationRequest(learner_id=learner_id(2), k=3)
    rows, known = candidates(rec, req)
    answer = finalize(rec, req, rows, known, FeatureRows.missing(len(rows), "down"), CourseCatalog())
    status, ctype, body = _ingress_answer(answer, rid="rid-7")
    assert status == 200 and ctype.startswith("application/json")
    assert body["request_id"] == "rid-7" and body["recommendation_id"] == answer.recommendation_id
    assert [i["course_id"] for i in body["items"]] == [i.course_id for i in answer.items]
