"""RepoConfig built from settings: absolute paths, prod services, registry caching."""

from __future__ import annotations

import os

import pytest

from features.store import build_repo_config, redis_connection_string


def test_local_config_is_absolute_and_cwd_independent(tmp_path, monkeypatch, make_feast_settings):
    settings = make_feast_settings(tmp_path / "data", profile="local")
    monkeypatch.chdir(tmp_path)
    a = build_repo_config(settings)
    monkeypatch.chdir("/")
    b = build_repo_config(settings)
    assert a.registry.path == b.registry.path == str(settings.feast_dir / "registry.db")
    assert os.path.isabs(a.online_store.path) and a.online_store.type == "sqlite"
    assert a.offline_store.type == "dask" and a.repo_path == settings.feast_dir


def test_prod_config_uses_spark_redis_and_cached_sql_registry(tmp_path, make_feast_settings):
    settings = make_feast_settings(
        tmp_path / "data", profile="prod", jwt_secret="test-jwt-secret-for-prod-vpIu5mJPw8qyhNh8Tb4J",
        media_signing_secret="test-media-secret-for-prod-QNjn49Hu3S8DyU_mLg",
        serve_service_token="test-serve-token-for-prod-kMHEVmfki3EE4h6WRR",
        redis_url="redis://:s3cret@cache.internal:6380/2", feast_registry_ttl_s=30,
    )
    cfg = build_repo_config(settings)
    assert cfg.online_store.type == "redis"
    assert cfg.online_store.connection_string == "cache.internal:6380,db=2,password=s3cret"
    reg = cfg.registry
    assert reg.registry_type == "sql" and reg.path.startswith("postgresql+psycopg://")
    # requests never wait on a registry refresh: background thread refresh of an in-memory cache
    assert reg.cache_mode == "thread" and reg.cache_ttl_seconds == 30
    assert reg.serve_features_while_materializing is True
    assert cfg.offline_store.type == "spark"
    assert cfg.offline_store.spark_conf["spark.sql.session.timeZone"] == "UTC"

    from features.repo import build_repo

    repo = build_repo(settings)
    src = repo.sources["learner_daily"]
    assert type(src).__name__ == "SparkSource" and src.path.endswith("lake/tables/learner_daily")


def test_redis_url_validation():
    assert redis_connection_string("redis://127.0.0.1:6379/0") == "127.0.0.1:6379,db=0"
    assert redis_connection_string("rediss://h:1/3").endswith("ssl=true")
    with pytest.raises(ValueError, match="REDIS_URL"):
        redis_connection_string("http://nope")


def test_repo_definitions_follow_the_contract(tmp_path, make_feast_settings):
    from features.data_sources import PUSH_SOURCES
    from features.repo import build_repo

    repo = build_repo(make_feast_settings(tmp_path / "data", profile="local"))
    assert set(PUSH_SOURCES) == {
        "learner_payment_velocity_push", "device_payment_velocity_push",
        "ip_payment_velocity_push", "course_engagement_push",
    }
    assert {e.join_key for e in repo.entities} == {"learner_id", "course_id", "device_id", "ip"}
    for view in repo.views.values():
        assert view.ttl and view.owner and view.tags and view.schema
    assert set(repo.services) == {"recommender_v1", "fraud_v1", "tutor_context_v1"}


def test_stream_schemas_and_flink_sinks_share_one_contract():
    """Feast's stream-table schemas are the Flink sink columns minus the lake-only ones, same types."""
    import pyarrow as pa

    from features.data_sources import STREAM_TABLES, TABLE_SCHEMAS
    from pipelines.flink.sql import SINKS
    from suuupra.stream_tables import STREAM_TABLES as CONTRACT

    flink_to_arrow = {"STRING": pa.string(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(),
                      "TIMESTAMP_LTZ(3)": pa.timestamp("us", tz="UTC")}
    lake_only = {"event_id", "window_start", "window_end", "enrollments_5m"}
    assert STREAM_TABLES == ("learner_payment_velocity", "device_payment_velocity", "ip_payment_velocity",
                             "course_engagement")
    for table in STREAM_TABLES:
        sink = {n: t for n, t in SINKS[table].items() if n not in lake_only}
        schema = TABLE_SCHEMAS[table]
        assert schema.names == list(sink), table
        assert [schema.field(n).type for n in sink] == [flink_to_arrow[t] for t in sink.values()], table
        assert CONTRACT[table].entity_key == schema.names[0]
    assert set(SINKS) == set(CONTRACT) and not CONTRACT["trending_courses"].is_feature_table
    assert SINKS["learner_payment_velocity"]["event_timestamp"] == "TIMESTAMP_LTZ(3)"
    assert SINKS["course_engagement"]["window_start"] == "TIMESTAMP(3)"
