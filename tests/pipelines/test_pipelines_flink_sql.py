"""Generated Flink DDL and job configuration (no JVM: milliseconds)."""

from __future__ import annotations

import pytest

from pipelines.flink import sql
from pipelines.flink.jobs import FlinkJobError, environment_config, job_statements, latest_checkpoint
from suuupra.lake import STREAM_TABLES, checkpoint_dir, table_path
from suuupra.settings import load_settings


def test_local_source_monitors_lake_with_watermark(settings):
    opts = sql.StreamOptions(lateness_s=30, monitor_interval_s=1.0)
    ddl = sql.source_ddl("payments_src", "payments", sql.PAYMENT_FIELDS, settings, opts, "velocity")
    assert "'connector' = 'filesystem'" in ddl
    assert f"'path' = 'file://{settings.events_dir}/topic=payments'" in ddl  # '=' not percent-encoded
    assert "'source.monitor-interval' = '1000 ms'" in ddl
    assert "WATERMARK FOR `occurred_at` AS `occurred_at` - INTERVAL '0 00:00:30.000' DAY(3) TO SECOND(3)" in ddl
    bounded = sql.source_ddl("p", "payments", sql.PAYMENT_FIELDS, settings, sql.StreamOptions(), "velocity")
    assert "monitor-interval" not in bounded


def test_prod_source_is_kafka_and_needs_the_connector_jar(tmp_path):
    jar = tmp_path / "flink-sql-connector-kafka.jar"
    prod = load_settings(profile="prod", data_dir=tmp_path,
                         jwt_secret="test-jwt-secret-for-prod-vpIu5mJPw8qyhNh8Tb4J",
                         media_signing_secret="test-media-secret-for-prod-QNjn49Hu3S8DyU_mLg",
                         serve_service_token="test-serve-token-for-prod-kMHEVmfki3EE4h6WRR",
                         kafka_bootstrap_servers="k:9092", flink_kafka_connector_jar=jar)
    ddl = sql.source_ddl("engagement_src", "engagement", sql.ENGAGEMENT_FIELDS, prod, sql.StreamOptions(),
                         "engagement")
    for part in ("'connector' = 'kafka'", "'topic' = 'suuupra.engagement'", "'properties.bootstrap.servers' = "
                 "'k:9092'", "'properties.group.id' = 'suuupra-flink-engagement'", "'format' = 'json'"):
        assert part in ddl
    with pytest.raises(FlinkJobError, match="SUUUPRA_FLINK_KAFKA_CONNECTOR_JAR"):
        environment_config("velocity", prod, follow=True, parallelism=1, restore=False)
    jar.write_bytes(b"jar")
    conf = environment_config("velocity", prod, follow=True, parallelism=2, restore=False)
    assert conf["pipeline.jars"] == f"file://{jar}"


def test_follow_config_checkpoints_and_restores(settings):
    conf = environment_config("velocity", settings, follow=True, parallelism=1, restore=True)
    ckpt = checkpoint_dir("velocity", settings)
    assert conf["execution.checkpointing.dir"] == f"file://{ckpt}"
    assert conf["execution.checkpointing.externalized-checkpoint-retention"] == "RETAIN_ON_CANCELLATION"
    assert "execution.state-recovery.path" not in conf  # nothing to restore yet
    done = ckpt / "abc123" / "chk-7"
    done.mkdir(parents=True)
    (done / "_metadata").write_bytes(b"x")
    (ckpt / "abc123" / "chk-8").mkdir()  # in progress: no _metadata
    assert latest_checkpoint("velocity", settings) == done
    conf = environment_config("velocity", settings, follow=True, parallelism=1, restore=True)
    assert conf["execution.state-recovery.path"] == f"file://{done}"
    assert "execution.checkpointing.interval" not in environment_config(
        "velocity", settings, follow=False, parallelism=1, restore=True)


def test_job_statements_cover_the_contract(settings):
    ddl, inserts = job_statements("velocity", settings, sql.StreamOptions(), follow=False,
                                  staging={n: settings.lake_dir / n for n in sql.SINKS})
    text = "\n".join(ddl + inserts)
    assert len(inserts) == 3
    for w in ("INTERVAL '0 00:10:00.000'", "INTERVAL '0 01:00:00.000'", "INTERVAL '1 00:00:00.000'"):
        assert w in text
    assert "RANGE BETWEEN" in text and "ROW_NUMBER() OVER (PARTITION BY `event_id`" in text
    learner = sql.velocity_columns("learner")
    for col in ("learner_id", "event_timestamp", "payments_10m", "amount_10m", "payments_1h", "amount_1h",
                "payments_24h", "amount_24h", "distinct_devices_24h", "distinct_countries_24h"):
        assert col in learner
    ddl, inserts = job_statements("engagement", settings, sql.StreamOptions(top_k=7), follow=True,
                                  staging={n: settings.lake_dir / n for n in sql.SINKS})
    text = "\n".join(ddl + inserts)
    assert "TUMBLE(TABLE `engagement`" in text and "`rnk` <= 7" in text
    assert "'sink.rolling-policy.rollover-interval' = '1 s'" in text
    with pytest.raises(FlinkJobError, match="unknown job"):
        job_statements("nope", settings, sql.StreamOptions(), follow=False, staging={})


def test_table_paths(settings):
    assert table_path("interactions", settings) == settings.tables_dir / "interactions"
    for name in STREAM_TABLES:
        assert table_path(name, settings) == settings.tables_dir / "stream" / name
    with pytest.raises(ValueError, match="invalid table name"):
        table_path("../etc", settings)
    assert sql.interval_literal(90061.5) == "INTERVAL '1 01:01:01.500' DAY(3) TO SECOND(3)"


def test_cli_user_errors_are_clear(data_dir, settings):
    """The CLI is an edge: it reads its settings from the environment (``data_dir`` points it at an empty lake)."""
    from typer.testing import CliRunner

    from cli.etl_cmd import app
    from pipelines.spark.etl import EtlError, parse_dates
    from suuupra.errors import CLIError

    runner = CliRunner()
    res = runner.invoke(app, ["spark"])
    assert isinstance(res.exception, CLIError) and "suuupra demo-data" in str(res.exception)
    res = runner.invoke(app, ["flink"])
    assert isinstance(res.exception, CLIError) and "--once or --follow" in str(res.exception)
    res = runner.invoke(app, ["check", "--table", "nope"])
    assert isinstance(res.exception, CLIError) and "unknown table" in str(res.exception)
    with pytest.raises(EtlError, match="YYYY-MM-DD"):
        parse_dates("yesterday", settings)
    assert len(parse_dates("2026-10-27..2026-11-02", settings)) == 7
