"""Resources keyed by environment: local points at embedded engines, prod at $SUUUPRA_* endpoints.

No ``from __future__ import annotations`` here: Dagster reads the probe asset's
parameter annotations to find the resources it asks for.
"""

import os
from pathlib import Path

import pytest
from dagster import DagsterInvalidConfigError, asset, materialize

from dagster_project.resources import (
    PROD_ENV_VARS,
    DatabaseResource,
    EventLogResource,
    FeastResource,
    FlinkResource,
    MLflowResource,
    QdrantResource,
    SparkResource,
    resources_for,
)
from suuupra.settings import SettingsError

ENGINES = {"spark", "flink", "feast", "mlflow", "qdrant", "event_log", "database"}
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Services the developer's shell may point somewhere: the tests decide them.
SERVICE_VARS = (*PROD_ENV_VARS, "SUUUPRA_QDRANT_API_KEY", "SUUUPRA_EVENT_LOG_BACKEND", "SUUUPRA_FEAST_OFFLINE_STORE",
                "SUUUPRA_FEAST_ONLINE_STORE", "SUUUPRA_KAFKA_TOPIC_PREFIX")


@asset
def resource_probe(
    spark: SparkResource,
    flink: FlinkResource,
    feast: FeastResource,
    mlflow: MLflowResource,
    qdrant: QdrantResource,
    event_log: EventLogResource,
    database: DatabaseResource,
) -> dict:
    """What each resource resolved to inside a run (EnvVars resolved by Dagster)."""
    ev = event_log.settings()
    fs = feast.settings()
    fl = flink.settings()
    return {
        "profile": database.settings().profile.value,
        "spark_master": spark.settings().spark_master,
        "flink_jobmanager": fl.flink_jobmanager,
        "flink_jar": str(fl.flink_kafka_connector_jar),
        "flink_kafka": fl.kafka_bootstrap_servers,
        "feast": (fs.feast_offline_store, fs.feast_online_store, fs.feast_registry_url, fs.redis_url),
        "mlflow": mlflow.settings().mlflow_tracking_uri,
        "qdrant": qdrant.location(),
        "event_log": (ev.event_log_backend.value, ev.kafka_bootstrap_servers, ev.kafka_topic_prefix),
        "database": database.settings().database_url,
    }


@asset
def mlflow_probe(mlflow: MLflowResource) -> str:
    return mlflow.settings().mlflow_tracking_uri


@pytest.fixture()
def clean_env(data_dir, monkeypatch):
    for var in SERVICE_VARS:
        monkeypatch.delenv(var, raising=False)
    return data_dir


def _prod_env(monkeypatch, tmp_path: Path) -> dict[str, str]:
    jar = tmp_path / "flink-sql-connector-kafka.jar"
    jar.write_bytes(b"")
    env = {
        "SUUUPRA_SPARK_MASTER": "spark://spark.test:7077",
        "SUUUPRA_FLINK_JOBMANAGER": "flink.test:8081",
        "SUUUPRA_FLINK_KAFKA_CONNECTOR_JAR": str(jar),
        "SUUUPRA_KAFKA_BOOTSTRAP_SERVERS": "kafka1.test:9092,kafka2.test:9092",
        "SUUUPRA_FEAST_REGISTRY_URL": "postgresql+psycopg://feast@pg.test:5432/registry",
        "SUUUPRA_REDIS_URL": "redis://redis.test:6379/1",
        "SUUUPRA_MLFLOW_TRACKING_URI": "http://mlflow.test:5000",
        "SUUUPRA_QDRANT_URL": "http://qdrant.test:6333",
        "SUUUPRA_DATABASE_URL": "postgresql+psycopg://app@pg.test:5432/suuupra",
        "SUUUPRA_JWT_SECRET": "a-real-secret-for-the-prod-profile-0123456789",
        "SUUUPRA_MEDIA_SIGNING_SECRET": "test-media-secret-for-prod-QNjn49Hu3S8DyU_mLg",
        "SUUUPRA_SERVE_SERVICE_TOKEN": "test-serve-token-for-prod-kMHEVmfki3EE4h6WRR",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def test_every_environment_binds_every_engine_on_one_platform():
    for env in ("", "local", "prod"):
        res = resources_for(env, "/srv/suuupra" if env else "")
        assert set(res) == {"platform", *ENGINES}
        assert all(res[k].platform == res["platform"] for k in ENGINES)  # one profile + data dir per environment
    with pytest.raises(ValueError, match="unknown environment 'staging'"):
        resources_for("staging")


def test_local_resources_point_at_embedded_engines_under_the_data_dir(clean_env, tmp_path):
    root = (tmp_path / "elsewhere").resolve()  # not $SUUUPRA_DATA_DIR: the resource decides
    res = resources_for("local", str(root))

    assert res["spark"].master.startswith("local")  # visible in the UI, not only at run time
    assert res["spark"].settings().spark_master.startswith("local")
    db_url = res["database"].settings().database_url
    assert db_url.startswith("sqlite:///") and db_url.endswith(str(root / "apps_api.sqlite3"))
    uri = res["mlflow"].settings().mlflow_tracking_uri
    assert uri.startswith("sqlite:///") and str(root) in uri
    assert res["qdrant"].settings().qdrant_url is None
    assert res["qdrant"].location() == f"path:{root / 'qdrant'}"
    fs = res["feast"].settings()
    assert (fs.feast_offline_store, fs.feast_online_store, fs.feast_registry_url) == ("file", "sqlite", None)
    conf = res["flink"].environment_config("velocity")
    assert "execution.target" not in conf and "pipeline.jars" not in conf  # embedded MiniCluster over the lake

    from suuupra.eventlog import LocalEventLog

    writer = res["event_log"].writer()
    assert isinstance(writer, LocalEventLog) and writer.root == root / "lake" / "events"
    assert res["event_log"].reader().root == root / "lake" / "events"


def test_local_resources_initialize_inside_a_run(clean_env, tmp_path):
    root = (tmp_path / "run").resolve()
    out = materialize([resource_probe], resources=resources_for("local", str(root))).output_for_node(
        "resource_probe"
    )
    assert out["profile"] == "local" and out["spark_master"].startswith("local")
    assert out["database"].startswith("sqlite:///") and out["qdrant"] == f"path:{root / 'qdrant'}"
    assert out["event_log"][0] == "local" and out["mlflow"].startswith("sqlite:///")


def test_prod_resources_resolve_env_vars_when_the_run_starts(clean_env, tmp_path, monkeypatch):
    res = resources_for("prod", str(tmp_path / "prod"))  # built before the variables exist
    env = _prod_env(monkeypatch, tmp_path)
    out = materialize([resource_probe], resources=res).output_for_node("resource_probe")
    assert out == {
        "profile": "prod",
        "spark_master": env["SUUUPRA_SPARK_MASTER"],
        "flink_jobmanager": env["SUUUPRA_FLINK_JOBMANAGER"],
        "flink_jar": env["SUUUPRA_FLINK_KAFKA_CONNECTOR_JAR"],
        "flink_kafka": env["SUUUPRA_KAFKA_BOOTSTRAP_SERVERS"],
        "feast": ("spark", "redis", env["SUUUPRA_FEAST_REGISTRY_URL"], env["SUUUPRA_REDIS_URL"]),
        "mlflow": env["SUUUPRA_MLFLOW_TRACKING_URI"],
        "qdrant": f"url:{env['SUUUPRA_QDRANT_URL']}",
        "event_log": ("kafka", env["SUUUPRA_KAFKA_BOOTSTRAP_SERVERS"], "suuupra."),
        "database": env["SUUUPRA_DATABASE_URL"],
    }


def test_prod_engine_handles_use_the_resolved_values(clean_env, tmp_path, monkeypatch):
    env = _prod_env(monkeypatch, tmp_path)
    res = resources_for("prod", str(tmp_path / "prod"))
    with res["flink"].process_config_and_initialize_cm() as flink:
        conf = flink.environment_config("velocity")
    assert conf["execution.target"] == "remote" and (conf["rest.address"], conf["rest.port"]) == ("flink.test", "8081")
    assert conf["pipeline.jars"].endswith("flink-sql-connector-kafka.jar")
    with res["event_log"].process_config_and_initialize_cm() as event_log:
        writer = event_log.writer()  # the Kafka producer is created on first append, not here
    assert writer.config["bootstrap_servers"] == env["SUUUPRA_KAFKA_BOOTSTRAP_SERVERS"].split(",")


def test_prod_run_with_a_variable_unset_fails_naming_it(clean_env, tmp_path, monkeypatch):
    _prod_env(monkeypatch, tmp_path)
    monkeypatch.delenv("SUUUPRA_DATABASE_URL")
    with pytest.raises(DagsterInvalidConfigError, match="SUUUPRA_DATABASE_URL"):
        materialize([resource_probe], resources=resources_for("prod"))
    # A run resolves only the resources its assets ask for: no database, no database URL needed.
    monkeypatch.delenv("SUUUPRA_SPARK_MASTER")
    assert materialize([mlflow_probe], resources=resources_for("prod")).output_for_node("mlflow_probe") == (
        "http://mlflow.test:5000"
    )
    # Used outside Dagster, an unresolved EnvVar is refused rather than taken as a URL.
    with pytest.raises(SettingsError, match=r"DatabaseResource.url reads \$SUUUPRA_DATABASE_URL"):
        resources_for("prod")["database"].settings()


def test_database_engine_connects_to_sqlite_locally(clean_env, tmp_path):
    from sqlalchemy import text

    engine = resources_for("local", str(tmp_path / "db"))["database"].engine()
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select 1")).scalar() == 1
        assert engine.dialect.name == "sqlite"
        assert (tmp_path / "db" / "apps_api.sqlite3").exists()
    finally:
        engine.dispose()


@pytest.mark.prod
def test_database_engine_connects_to_postgres_in_prod(clean_env, tmp_path, monkeypatch):
    psycopg = pytest.importorskip("psycopg")
    try:
        psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    from sqlalchemy import text

    _prod_env(monkeypatch, tmp_path)
    monkeypatch.setenv("SUUUPRA_DATABASE_URL", PG_URL)
    with resources_for("prod")["database"].process_config_and_initialize_cm() as database:
        engine = database.engine()
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select 1")).scalar() == 1
        assert engine.dialect.name == "postgresql"
    finally:
        engine.dispose()


def test_mlflow_client_lists_models_on_an_empty_local_store(clean_env, tmp_path):
    root = tmp_path / "ml"
    client = resources_for("local", str(root))["mlflow"].client()
    assert client.search_registered_models() == []
    assert (root / "mlflow" / "mlflow.db").exists()


def test_two_environments_share_a_process_without_touching_its_environment(clean_env, tmp_path):
    """Settings are values: resources of two data dirs give two settings side by side,
    and building them writes nothing to os.environ."""
    env_before = dict(os.environ)
    one, two = resources_for("local", str(tmp_path / "one")), resources_for("local", str(tmp_path / "two"))
    s1, s2 = one["mlflow"].settings(one["database"]), two["mlflow"].settings(two["database"])
    assert s1.data_dir != s2.data_dir and s1.database_url != s2.database_url
    assert str(s1.mlflow_tracking_uri) == one["mlflow"].tracking_uri and s1.database_url == one["database"].url
    assert dict(os.environ) == env_before
    assert not hasattr(one["mlflow"], "activated")

