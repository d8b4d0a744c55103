"""Spark: the batch engine of the lake ETL (``pipelines.spark``)."""

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from dagster_project.resources.base import EngineResource

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class SparkResource(EngineResource):
    """Where Spark jobs run: an in-process ``local[*]`` master, or a standalone cluster.

    :meth:`session` goes through :func:`pipelines.spark.session.get_spark`, the one
    factory every caller shares (the JVM costs seconds to start, so a process keeps
    one session). The master of the first session in a process wins: a step that
    needs another master runs in its own process, as Dagster's default executor does.
    """

    SETTINGS_FIELDS: ClassVar[dict[str, str]] = {
        "master": "spark_master",
        "shuffle_partitions": "spark_shuffle_partitions",
    }

    master: str = Field(default="", description="Spark master URL (`local[*]`, `spark://host:7077`); "
                        "empty: the profile default.")
    shuffle_partitions: int = Field(default=0, description="spark.sql.shuffle.partitions; 0: the settings "
                                    "default (small, for daily partitions).")

    def session(self) -> "SparkSession":
        from pipelines.spark.session import get_spark

        return get_spark(self.settings())
