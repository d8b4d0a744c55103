"""Platform wiring: Spark tables (Parquet) -> training -> MLflow, through the Dagster asset."""

from __future__ import annotations

import pytest


def _write_interactions(settings, interactions):
    from pipelines.lake import table_path

    path = table_path("interactions", settings)
    path.mkdir(parents=True)
    frame = interactions.rename(
        columns={"user_id": "learner_id", "item_id": "course_id", "timestamp": "last_ts"}
    )
    frame.to_parquet(path / "part-00000.parquet")


def test_missing_tables_give_a_clear_error(settings):
    from models.platform import PlatformDataMissing, load_interactions

    with pytest.raises(PlatformDataMissing, match="suuupra demo-data"):
        load_interactions()


def test_recommender_asset_trains_registers_and_reports(settings, interactions):
    from dagster import materialize

    from dagster_project.assets.models import recommender_model
    from models.platform import load_interactions
    from models.registry import RECOMMENDER_NAME, load_champion

    _write_interactions(settings, interactions)
    loaded = load_interactions()
    assert list(loaded.columns) == ["user_id", "item_id", "weight", "timestamp"] and len(loaded) == len(
        interactions
    )

    result = materialize([recommender_model])
    assert result.success
    md = result.asset_materializations_for_node("recommender_model")[0].metadata
    assert md["promoted"].value is True and md["version"].value == "1"
    assert md["ndcg@10"].value > 0
    assert "data:image/png;base64," in md["plot_holdout_metrics"].value
    model, version = load_champion(RECOMMENDER_NAME)
    assert version == "1"
    recs = model.recommend(["u0", "brand-new"], k=3)
    assert set(recs["user_id"]) == {"u0", "brand-new"}
