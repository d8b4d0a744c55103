"""Platform wiring: Spark tables (Parquet) -> training -> MLflow, through the Dagster asset."""

from __future__ import annotations

import pandas as pd
import pytest


def _write_interactions(settings, interactions):
    from suuupra.lake import table_path

    path = table_path("interactions", settings)
    path.mkdir(parents=True)
    frame = interactions.rename(
        columns={"user_id": "learner_id", "item_id": "course_id", "timestamp": "last_ts"}
    )
    frame.to_parquet(path / "part-00000.parquet")


def test_missing_tables_give_a_clear_error(settings):
    from models.platform import PlatformDataMissing, load_interactions

    with pytest.raises(PlatformDataMissing, match="suuupra demo-data"):
        load_interactions(settings)


def test_recommender_asset_trains_registers_and_reports(settings, interactions):
    from dagster import materialize

    from dagster_project.assets.models import recommender_model
    from dagster_project.resources import resources_for
    from models.platform import load_interactions
    from models.registry import RECOMMENDER_NAME, load_champion

    _write_interactions(settings, interactions)
    loaded = load_interactions(settings)
    assert list(loaded.columns) == ["user_id", "item_id", "weight", "timestamp"] and len(loaded) == len(
        interactions
    )

    result = materialize(
        [recommender_model], resources=resources_for("local", data_dir=str(settings.data_dir))
    )
    assert result.success
    md = result.asset_materializations_for_node("recommender_model")[0].metadata
    assert md["promoted"].value is True and md["version"].value == "1"
    assert md["ndcg@10"].value > 0
    assert "data:image/png;base64," in md["plot_holdout_metrics"].value
    model, version = load_champion(RECOMMENDER_NAME, tracking_uri=str(settings.mlflow_tracking_uri))
    assert version == "1"
    recs = model.recommend(["u0", "brand-new"], k=3)
    assert set(recs["user_id"]) == {"u0", "brand-new"}


def test_fraud_frame_falls_back_to_request_columns_without_a_feature_store(settings, payments):
    from models.platform import fraud_training_frame

    frame = payments.rename(columns={"amount": "amount_minor"}).assign(
        learner_id="l1",
        device_id="d1",
        ip="1.2.3.4",
        method="card",
        currency="INR",
        event_timestamp=pd.Timestamp("2026-01-01", tz="UTC"),
    )
    df, features, service = fraud_training_frame(frame, settings)
    assert service == "payments_labeled_request_only"
    assert features == ["amount_minor", "country", "method", "currency"]
    assert len(df) == len(frame)
