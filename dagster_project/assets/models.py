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

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from dagster_project.plots import png_markdown
from dagster_project.resources import FeastResource, MLflowResource


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


@asset(
    group_name="models",
    owners=["team:models"],
    kinds={"python", "mlflow", "pytorch"},
    deps=["payments_labeled", "feast_online_store"],
    description="Torch fraud scorer on the fraud_v1 training set vs LR/LightGBM; gated on PR-AUC.",
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
    return MaterializeResult(metadata=md)


ASSETS = [recommender_model, fraud_model]
