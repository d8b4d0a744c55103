"""The Dagster assets run the real apply + incremental materialization."""

from __future__ import annotations


def test_feast_assets_materialize(tmp_path, make_feast_settings, sample_start):
    from dagster import materialize

    from dagster_project.assets.features import ASSETS, JOBS, SCHEDULES
    from dagster_project.resources import resources_for
    from features.online import get_online_features
    from features.sample_data import learner_views_7d, write_sample_tables
    from features.store import forget_stores
    from suuupra.settings import load_settings

    data_dir = tmp_path / "data"
    w = write_sample_tables(make_feast_settings(data_dir, profile="local"), start=sample_start)
    try:
        result = materialize(ASSETS, resources=resources_for("local", str(data_dir)))
        assert result.success
        mats = {e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()}
        md = mats["feast_online_store"].materialization.metadata
        assert md["materialized_views"].value == 8 and md["skipped_views"].value == 0
        settings = load_settings(profile="local", data_dir=data_dir)  # same project the assets used
        res = get_online_features("recommender_v1", [{"learner_id": "L3", "course_id": "C1"}], settings,
                                  budget_ms=5_000)
        assert res.rows[0]["learner_activity__views_7d"] == learner_views_7d(3, w.days - 1)
        assert JOBS and SCHEDULES[0].cron_schedule == "15 * * * *"
    finally:
        forget_stores()
