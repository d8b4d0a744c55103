"""Model training assets: the recommender and the fraud scorer, registered in MLflow.

Thin wrappers over :mod:`models.platform` (all logic lives in the ``models`` package):
each materialization trains on the Spark tables (``interactions`` and
``payments_labeled``, read as Parquet from ``tables_dir``), logs the run to MLflow,
registers a new version as ``challenger`` and runs the promotion gate. Metadata shows
the holdout metrics, the gate's decision and reason, and the evaluation plots.

The settings come from the resources (the MLflow backend, plus the Feast stores for
the fraud training set) and are passed to the training as a value.
"""

from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)

from dagster_project.plots import png_markdown
from dagster_project.resources import DatabaseResource, FeastResource, MLflowResource


def _metrics_md(metrics: dict[str, float]) -> str:
    lines = ["| metric | value |", "|---|---|"]
    for key, value in metrics.items():
        if isinstance(value, float | int):
            lines.append(f"| {key} | {value:.4f} |")
    return "\n".join(lines)


def _metadata(out: dict[str, Any], headline: str) -> dict[str, Any]:
    decision = out["decision"]
    logged = out["logged"]
    md = {
        "registered_model": logged.name,
        "version": logged.version,
        "mlflow_run_id": logged.run_id,
        "promoted": decision.promoted,
        "promotion_reason": decision.reason,
        headline: MetadataValue.float(float(out["metrics"][headline])),
        "metrics": MetadataValue.md(_metrics_md(out["metrics"])),
    }
    for name, png in out.get("plots", {}).items():
        md[f"plot_{name}"] = MetadataValue.md(png_markdown(png, name))
    return md


@asset(
    group_name="models",
    owners=["team:models"],
    kinds={"python", "mlflow", "implicit"},
    deps=["interactions"],
    description="Implicit ALS recommender trained on the interactions table; champion/challenger gated on NDCG@10.",
)
def recommender_model(context: AssetExecutionContext, mlflow: MLflowResource) -> MaterializeResult:
    from models.platform import train_recommender_from_tables

    out = train_recommender_from_tables(mlflow.settings())
    context.log.info(out["decision"].reason)
    md = _metadata(out, "ndcg@10")
    md["n_interactions"] = out["model"].metadata["n_interactions"]
    return MaterializeResult(metadata=md)


def drift_check_results(drift: Any) -> list[AssetCheckResult]:
    """The two drift checks of a fraud model from its :class:`~models.fraud_monitoring.DriftReport`:
    pass below the warn PSI, WARN between, ERROR at or above the block PSI. The block itself
    is the training's promotion gate (it refused to replace the champion then), so the
    checks do not also stop the rest of the run: serving keeps the current champion."""
    if drift is None:
        return [AssetCheckResult(check_name=name, passed=True, metadata={"note": "no served payments to compare"})
                for name in ("feature_drift", "score_drift")]
    results = []
    for name, values in (("feature_drift", drift.features),
                         ("score_drift", {} if drift.score is None else {"score": drift.score})):
        finite = {k: float(v) for k, v in values.items() if v == v}
        worst = max(finite.values(), default=0.0)
        severity = AssetCheckSeverity.ERROR if worst >= drift.block_psi else AssetCheckSeverity.WARN
        results.append(AssetCheckResult(
            check_name=name, passed=worst < drift.warn_psi, severity=severity,
            metadata={"max_psi": MetadataValue.float(worst), "psi": MetadataValue.json(finite),
                      "warn_psi": drift.warn_psi, "block_psi": drift.block_psi,
                      "served_rows": drift.n_current, "training_rows": drift.n_reference}))
    return results


@asset(
    group_name="models",
    owners=["team:models"],
    kinds={"python", "mlflow", "pytorch"},
    deps=["payments_labeled", "feast_online_store"],
    description="Torch fraud scorer on the fraud_v1 training set vs LR/LightGBM; gated on PR-AUC and on the "
                "drift of served payments (PSI per feature and on scores).",
    check_specs=[
        AssetCheckSpec("feature_drift", asset="fraud_model",
                       description="PSI of each feature, served payments (last 7 days) vs the training set"),
        AssetCheckSpec("score_drift", asset="fraud_model",
                       description="PSI of the model's scores, served payments vs the training set"),
    ],
)
def fraud_model(
    context: AssetExecutionContext, mlflow: MLflowResource, feast: FeastResource
) -> MaterializeResult:
    from models.platform import train_fraud_from_tables

    out = train_fraud_from_tables(mlflow.settings(feast))  # the fraud_v1 training set comes from Feast
    context.log.info(out["decision"].reason)
    md = _metadata(out, "pr_auc")
    policy = out["model"].policy
    md["review_threshold"] = MetadataValue.float(policy.review_threshold)
    md["decline_threshold"] = MetadataValue.float(policy.decline_threshold)
    md["features"] = MetadataValue.json(out["model"].features)
    return MaterializeResult(metadata=md, check_results=drift_check_results(out.get("drift")))


@asset(
    group_name="models",
    owners=["team:risk"],
    kinds={"python", "pandas"},
    deps=["fraud_model", "payments_labeled", "api_database"],
    description="The enabled fraud rules replayed over the labelled payment history beside the champion model: "
                "frauds caught, good payments blocked or reviewed, reviews per day, expected cost.",
)
def fraud_rules_backtest(context: AssetExecutionContext, database: DatabaseResource, mlflow: MLflowResource,
                         feast: FeastResource) -> MaterializeResult:
    from apps_api.errors import ApiError
    from apps_api.services.fraud_backtest import run_backtest
    from models.fraud_rules.plot import backtest_png

    settings = mlflow.settings(feast, database)
    db = database.database()
    try:
        report = run_backtest(db, settings, [], score="auto")
    except ApiError as exc:
        context.log.warning(exc.detail)
        return MaterializeResult(metadata={"skipped": exc.detail})
    finally:
        db.dispose()
    w, m = report["with_rules"], report["model_only"]
    return MaterializeResult(metadata={
        "rules": MetadataValue.json(report["rules"]),
        "frauds_caught": MetadataValue.int(w["frauds_caught"]),
        "good_blocked": MetadataValue.int(w["good_blocked"]),
        "good_reviewed": MetadataValue.int(w["good_reviewed"]),
        "reviews_per_day": MetadataValue.float(w["review_per_day"]["mean"]),
        "expected_cost": MetadataValue.float(w["expected_cost"]),
        "expected_cost_model_only": MetadataValue.float(m["expected_cost"]),
        "score_source": report["score_source"],
        "plot": MetadataValue.md(png_markdown(backtest_png(report), "fraud rules backtest")),
    })


ASSETS = [recommender_model, fraud_model, fraud_rules_backtest]
