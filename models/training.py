"""End-to-end training flows: holdout, train, evaluate, plot, log to MLflow, promotion gate.

These take plain DataFrames so Dagster (Spark tables as Parquet), the CLI and tests all
use the same code, and the platform :class:`~suuupra.settings.Settings` saying which
MLflow backend (and local artifact folder) the run and the registry live in. The
registered model is the one trained on the training part of the holdout split: that is
what the gate evaluated, so the registry never claims a score a model did not earn.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models.registry import FRAUD_NAME, RECOMMENDER_NAME, log_training_run, promote_if_better

if TYPE_CHECKING:
    from suuupra.settings import Settings


def train_and_register_recommender(
    interactions: pd.DataFrame,
    params: dict[str, Any] | None = None,
    *,
    settings: Settings,
    item_categories: pd.DataFrame | dict | None = None,
    k: int = 10,
    test_fraction: float = 0.2,
    margin: float = 0.005,
    feature_service: str | None = None,
    feature_service_version: str | None = None,
    name: str = RECOMMENDER_NAME,
) -> dict[str, Any]:
    """Time-based holdout, train, evaluate vs popularity, log + register + gate on NDCG@k."""
    from models.evaluation.plots import figure_png, recsys_metrics_plot
    from models.evaluation.recsys import evaluate_recommender, time_holdout_split
    from models.recommender import train_recommender, validate_interactions

    validate_interactions(interactions)
    train, test = time_holdout_split(interactions, test_fraction)
    if test.empty:
        from models.errors import TrainingInputError

        raise TrainingInputError(
            "interactions: the time holdout has no rows for known users; need more history per learner"
        )
    model = train_recommender(train, params, item_categories=item_categories)
    metrics = evaluate_recommender(model, train, test, k)
    baseline = evaluate_recommender(train_recommender(train, {"algorithm": "popular"}), train, test, k)
    all_metrics = {**metrics, **{f"baseline_popular_{m}": v for m, v in baseline.items()}}
    plots = {
        "holdout_metrics": figure_png(
            recsys_metrics_plot({model.params.algorithm: metrics, "popular": baseline}, k)
        )
    }
    example_users = pd.DataFrame({"user_id": train["user_id"].drop_duplicates().head(3).tolist()})
    logged = log_training_run(
        model,
        settings=settings,
        name=name,
        params=asdict(model.params),
        metrics={**all_metrics, "train_seconds": model.metadata["train_seconds"]},
        input_example=example_users,
        figures=plots,
        feature_service=feature_service,
        feature_service_version=feature_service_version,
    )
    metric = f"ndcg@{k}"
    decision = promote_if_better(
        name,
        logged.version,
        lambda m: evaluate_recommender(m, train, test, k),
        metric,
        margin,
        tracking_uri=str(settings.mlflow_tracking_uri or ""),
    )
    return {"model": model, "metrics": all_metrics, "logged": logged, "decision": decision, "plots": plots}


def evaluate_fraud_model(
    model: Any, holdout: pd.DataFrame, label: str, amount_col: str | None = None
) -> dict[str, float]:
    """Ranking metrics plus the expected cost of the model's own policy on ``holdout``."""
    from models.evaluation.fraud import expected_cost, fraud_metrics

    y = holdout[label].astype(int).to_numpy()
    proba = model.predict_proba(holdout)
    amounts = holdout[amount_col].to_numpy(dtype=float) if amount_col else None
    return {**fraud_metrics(y, proba), **expected_cost(y, proba, model.policy, amounts=amounts)}


def train_and_register_fraud(
    df: pd.DataFrame,
    label: str,
    features: list[str],
    params: dict[str, Any] | None = None,
    *,
    settings: Settings,
    test_fraction: float = 0.2,
    margin: float = 0.005,
    amount_col: str | None = None,
    feature_service: str = "fraud_v1",
    feature_service_version: str | None = None,
    with_baselines: bool = True,
    name: str = FRAUD_NAME,
    served: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Stratified holdout, torch model vs LR/LightGBM, calibration, log + register + gate on PR-AUC.

    ``served``: recently served payments (same columns). Their drift from the training
    set, per feature and on the new model's scores, is logged (``drift_psi_*``) and past
    the block threshold refuses the promotion (:mod:`models.fraud_monitoring`).
    """
    from models.evaluation.fraud import calibration_curve, fraud_metrics
    from models.evaluation.plots import calibration_plot, figure_png, fraud_curves, history_plot
    from models.fraud import train_fraud_model
    from models.fraud.baselines import train_baselines
    from models.fraud.train import stratified_split, validate_training_frame

    y = validate_training_frame(df, label, features)
    tr_idx, te_idx = stratified_split(y, test_fraction, seed=(params or {}).get("seed", 42))
    train, holdout = df.iloc[tr_idx], df.iloc[te_idx]
    model = train_fraud_model(train, label, features, params)
    metrics = evaluate_fraud_model(model, holdout, label, amount_col)
    y_te = y[te_idx]
    proba = model.predict_proba(holdout)
    scores = {"torch_mlp": proba}
    if with_baselines:
        base = train_baselines(train, label, features, seed=model.params.seed)
        for bname in ("logreg", "lightgbm"):
            p = base[bname](holdout)
            scores[bname] = p
            for m, v in fraud_metrics(y_te, p).items():
                metrics[f"baseline_{bname}_{m}"] = v
    drift = None
    if served is not None and len(served):
        from models.fraud_monitoring import drift_report

        drift = drift_report(train, served, features, model)
        metrics.update({f"drift_psi_{k}": v for k, v in drift.features.items() if np.isfinite(v)})
        if drift.score is not None and np.isfinite(drift.score):
            metrics["drift_psi_score"] = drift.score
    curve = calibration_curve(y_te, proba)
    figures = {
        "pr_roc_curves": figure_png(fraud_curves(y_te, scores)),
        "calibration": figure_png(calibration_plot(curve)),
        "training_history": figure_png(history_plot(model.metadata["val_pr_auc_history"])),
    }
    logged = log_training_run(
        model,
        settings=settings,
        name=name,
        params={**asdict(model.params), "features": features, "label": label},
        metrics={
            **metrics,
            "train_seconds": model.metadata["train_seconds"],
            "review_threshold": model.policy.review_threshold,
            "decline_threshold": model.policy.decline_threshold,
        },
        input_example=holdout[features].head(3),
        figures=figures,
        feature_service=feature_service,
        feature_service_version=feature_service_version,
    )
    decision = promote_if_better(
        name,
        logged.version,
        lambda m: evaluate_fraud_model(m, holdout, label, amount_col),
        "pr_auc",
        margin,
        tracking_uri=str(settings.mlflow_tracking_uri or ""),
        blockers=drift.blockers() if drift is not None else (),
    )
    return {
        "drift": drift,
        "model": model,
        "metrics": metrics,
        "calibration_curve": curve,
        "logged": logged,
        "decision": decision,
        "plots": figures,
        "holdout_positive_rate": float(np.mean(y_te)),
    }
