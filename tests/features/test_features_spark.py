"""Opt-in: the full prod profile with the Spark offline store (SparkSession, ~2 min).

Not part of the default run (the area's test budget is ~2.5 min and a
SparkSession alone takes most of it on 2 cores). Enable with
``SUUUPRA_TEST_FEAST_SPARK=1 .venv/bin/pytest tests/features/test_features_spark.py``.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pandas as pd
import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.prod,
    pytest.mark.skipif(os.environ.get("SUUUPRA_TEST_FEAST_SPARK") != "1", reason="set SUUUPRA_TEST_FEAST_SPARK=1"),
]


def test_prod_profile_with_spark_offline_store(tmp_path, make_feast_settings, sample_start):
    import psycopg

    from features.apply import apply_repo
    from features.materialize import materialize_incremental
    from features.online import get_online_features
    from features.sample_data import learner_views_7d, write_sample_tables
    from features.store import forget_stores, get_store
    from features.training import build_training_set

    schema = f"feast_s_{uuid.uuid4().hex[:10]}"
    dsn = "host=127.0.0.1 port=5432 user=postgres dbname=test"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    settings = make_feast_settings(
        tmp_path / "data", profile="prod", jwt_secret="test-jwt-secret-for-prod-vpIu5mJPw8qyhNh8Tb4J",
        media_signing_secret="test-media-secret-for-prod-QNjn49Hu3S8DyU_mLg",
        serve_service_token="test-serve-token-for-prod-kMHEVmfki3EE4h6WRR",
        spark_master="local[1]",
        feast_registry_url=f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}",
    )
    store = None
    try:
        w = write_sample_tables(settings, start=sample_start)
        apply_repo(settings)
        store = get_store(settings)
        assert store.config.offline_store.type == "spark"
        entity = pd.DataFrame(dict(
            learner_id=["L1", "L2", "L1"], course_id=["C1", "C0", "C1"],
            event_timestamp=[w.day_ts(1) + timedelta(hours=3), w.day_ts(2), w.day_ts(0) - timedelta(hours=1)],
        ))
        hist = build_training_set("recommender_v1", entity, settings)
        views = hist["learner_activity__views_7d"]
        assert views.iloc[0] == learner_views_7d(1, 1) and views.iloc[1] == learner_views_7d(2, 2)
        assert pd.isna(views.iloc[2])
        materialize_incremental(settings)
        res = get_online_features("recommender_v1", [{"learner_id": "L1", "course_id": "C1"}], settings,
                                  budget_ms=10_000)
        assert res.rows[0]["learner_activity__views_7d"] == learner_views_7d(1, w.days - 1)
    finally:
        if store is not None:
            store.teardown()
        forget_stores()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
