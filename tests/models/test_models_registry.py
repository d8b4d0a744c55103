"""MLflow registry: logging, champion/challenger promotion gate, loading the champion."""

from __future__ import annotations

import pandas as pd
import pytest
from mlflow import MlflowClient
from models_testdata import FAST_FRAUD, FRAUD_FEATURES

from models.evaluation.recsys import evaluate_recommender, time_holdout_split
from models.recommender import train_recommender
from models.registry import (
    CHALLENGER,
    FRAUD_NAME,
    RegistryError,
    alias_version,
    load_champion,
    log_training_run,
    promote_if_better,
)

NAME = "suuupra-recommender"
GOOD = {
    "algorithm": "als",
    "factors": 8,
    "regularization": 0.1,
    "iterations": 10,
    "weighting": "none",
    "seed": 3,
}


def _register(settings, model, params, metrics=None):
    return log_training_run(
        model,
        settings=settings,
        name=NAME,
        params=params,
        metrics=metrics or {"ndcg@10": 0.0},
        input_example=pd.DataFrame({"user_id": ["u0", "u1"]}),
        feature_service="interactions_v1",
        feature_service_version="1",
    )


def test_promotion_gate_refuses_worse_and_accepts_better(settings, tracking_uri, interactions):
    train, test = time_holdout_split(interactions, 0.25)

    def evaluate(model):
        return evaluate_recommender(model, train, test)

    with pytest.raises(RegistryError, match="no 'champion' version"):
        load_champion(NAME, tracking_uri=tracking_uri)

    popular = train_recommender(train, {"algorithm": "popular"})
    v1 = _register(settings, popular, {"algorithm": "popular"})
    first = promote_if_better(NAME, v1.version, evaluate, "ndcg@10", margin=0.01, tracking_uri=tracking_uri)
    assert first.promoted and "no champion yet" in first.reason

    als = train_recommender(train, GOOD)
    v2 = _register(settings, als, GOOD)
    assert alias_version(NAME, CHALLENGER, tracking_uri=tracking_uri) == v2.version
    better = promote_if_better(NAME, v2.version, evaluate, "ndcg@10", margin=0.01, tracking_uri=tracking_uri)
    assert better.promoted, better.reason
    assert better.champion_version == v1.version
    assert better.challenger_score > better.champion_score + 0.01

    v3 = _register(settings, train_recommender(train, {"algorithm": "popular"}), {"algorithm": "popular"})
    worse = promote_if_better(NAME, v3.version, evaluate, "ndcg@10", margin=0.01, tracking_uri=tracking_uri)
    assert not worse.promoted and "does not beat" in worse.reason

    # an equal model does not clear a positive margin either
    v4 = _register(settings, train_recommender(train, GOOD), GOOD)
    tie = promote_if_better(NAME, v4.version, evaluate, "ndcg@10", margin=0.01, tracking_uri=tracking_uri)
    assert not tie.promoted

    # a better model whose served traffic drifted does not replace the champion
    v5 = _register(settings, train_recommender(train, {**GOOD, "factors": 16}), GOOD)
    scores = iter([0.9, 0.1])  # the challenger is scored first, then the champion
    blocked = promote_if_better(NAME, v5.version, lambda m: {"ndcg@10": next(scores)}, "ndcg@10", margin=0.01,
                                tracking_uri=tracking_uri, blockers=["method drifted (PSI 0.400 >= 0.25)"])
    assert not blocked.promoted and blocked.reason.startswith("promotion blocked: method drifted")

    champion, version = load_champion(NAME, tracking_uri=tracking_uri)
    assert version == v2.version
    users = train["user_id"].unique()[:10]
    pd.testing.assert_frame_equal(champion.recommend(users, 5), als.recommend(users, 5))

    client = MlflowClient(tracking_uri)
    tags = client.get_model_version(NAME, v3.version).tags
    assert tags["promotion.decision"] == "rejected" and tags["promotion.reason"] == worse.reason
    run = client.get_run(v2.run_id)
    assert run.data.params["feature_service_version"] == "1"
    assert run.data.params["algorithm"] == "als"
    # local artifacts live under the data dir, never the working directory
    mv = client.get_model_version(NAME, v2.version)
    assert str(settings.data_dir) in client.get_experiment(run.info.experiment_id).artifact_location
    assert mv.source


@pytest.mark.slow
def test_fraud_flow_logs_plots_and_registers(settings, tracking_uri, payments):
    from models.training import train_and_register_fraud

    out = train_and_register_fraud(
        payments,
        "is_fraud",
        FRAUD_FEATURES,
        FAST_FRAUD,
        settings=settings,
        amount_col="amount",
        feature_service_version="3",
    )
    assert out["decision"].promoted
    metrics = out["metrics"]
    assert {"pr_auc", "roc_auc", "recall_at_1pct_fpr", "expected_cost", "baseline_lightgbm_pr_auc"} <= set(
        metrics
    )
    model, version = load_champion(FRAUD_NAME, tracking_uri=tracking_uri)
    holdout = payments.head(100)
    pd.testing.assert_series_equal(
        pd.Series(model.predict_proba(holdout)), pd.Series(out["model"].predict_proba(holdout))
    )
    client = MlflowClient(tracking_uri)
    run_id = out["logged"].run_id
    artifacts = {a.path for a in client.list_artifacts(run_id, "plots")}
    assert {"plots/calibration.png", "plots/pr_roc_curves.png"} <= artifacts
    assert client.get_run(run_id).data.params["feature_service"] == "fraud_v1"
