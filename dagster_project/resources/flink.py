"""Flink: the stream jobs (``pipelines.flink``) that compute the fresh features."""

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from dagster_project.resources.base import EngineResource

if TYPE_CHECKING:
    from pipelines.flink.jobs import JobResult
    from suuupra.settings import Settings


class FlinkResource(EngineResource):
    """Where the PyFlink jobs run and what they read.

    Local: an embedded MiniCluster reading the lake's JSONL segments. Prod: a remote
    JobManager reading Kafka topics, which needs the Kafka SQL connector jar. The
    configuration itself is built by :func:`pipelines.flink.jobs.environment_config`;
    the resource only chooses the settings it is built from.
    """

    SETTINGS_FIELDS: ClassVar[dict[str, str]] = {
        "jobmanager": "flink_jobmanager",
        "kafka_connector_jar": "flink_kafka_connector_jar",
        "kafka_bootstrap_servers": "kafka_bootstrap_servers",
        "kafka_topic_prefix": "kafka_topic_prefix",
    }

    jobmanager: str = Field(default="", description="JobManager REST address `host:port`; empty: "
                            "an embedded MiniCluster.")
    kafka_connector_jar: str = Field(default="", description="Path of the flink-sql-connector-kafka jar "
                                     "(prod reads Kafka).")
    kafka_bootstrap_servers: str = Field(default="", description="Kafka brokers the prod jobs read; "
                                         "empty: the settings default.")
    kafka_topic_prefix: str = Field(default="", description="Prefix of the event topics; empty: `suuupra.`.")

    def environment_config(self, job: str, *, follow: bool = False, parallelism: int = 1,
                           restore: bool = True) -> dict[str, str]:
        """The Flink configuration ``job`` would run with (pure: starts no JVM)."""
        from pipelines.flink.jobs import environment_config

        return environment_config(job, self.settings(), follow=follow, parallelism=parallelism, restore=restore)

    def run_job(self, job: str, settings: "Settings | None" = None, **kwargs: Any) -> "JobResult":
        """Run a bounded job to completion (:func:`pipelines.flink.jobs.run_job`).

        ``settings`` lets a step that also publishes to Feast pass the merged
        ``flink.settings(feast)`` so both halves see the same configuration.
        """
        from pipelines.flink.jobs import run_job

        return run_job(job, settings=settings or self.settings(), **kwargs)
