"""One dict of resources per environment: the environment picks the config, asset code is the same.

* ``local``: the embedded engines under one data directory (``local[*]`` Spark,
  MiniCluster Flink, file + SQLite Feast, SQLite MLflow, on-disk Qdrant, JSONL
  event log, SQLite database). Values are the profile defaults of
  :class:`suuupra.settings.Settings`, written out so the UI shows them.
* ``prod``: service endpoints bound to ``SUUUPRA_*`` variables with
  :class:`dagster.EnvVar`. Dagster resolves them when a run starts (loading the
  definitions reads no environment), and a run fails naming the variable when
  one is unset, instead of quietly talking to a localhost default.
* ``""`` (what ``dagster_project.definitions`` uses): every field empty, so
  ``SUUUPRA_PROFILE`` and the other variables decide at run time.
"""

from collections.abc import Callable
from pathlib import Path

from dagster import ConfigurableResource, EnvVar

from dagster_project.resources.base import PlatformSettings
from dagster_project.resources.database import DatabaseResource
from dagster_project.resources.event_log import EventLogResource
from dagster_project.resources.feast import FeastResource
from dagster_project.resources.flink import FlinkResource
from dagster_project.resources.mlflow import MLflowResource
from dagster_project.resources.qdrant import QdrantResource
from dagster_project.resources.spark import SparkResource
from suuupra.settings import PROJECT_ROOT, Profile, Settings


def _local_defaults(data_dir: str) -> Settings:
    """The local profile's derived values for ``data_dir``, computed without reading the environment."""
    root = Path(data_dir).expanduser().resolve() if data_dir else PROJECT_ROOT / "data"
    return Settings.profile_defaults(Profile.local, root)


def _from_environment(data_dir: str) -> dict[str, ConfigurableResource]:
    platform = PlatformSettings(data_dir=data_dir)
    return {
        "platform": platform,
        "spark": SparkResource(platform=platform),
        "flink": FlinkResource(platform=platform),
        "feast": FeastResource(platform=platform),
        "mlflow": MLflowResource(platform=platform),
        "qdrant": QdrantResource(platform=platform),
        "event_log": EventLogResource(platform=platform),
        "database": DatabaseResource(platform=platform),
    }


def _local(data_dir: str) -> dict[str, ConfigurableResource]:
    platform = PlatformSettings(profile="local", data_dir=data_dir)
    defaults = _local_defaults(data_dir)
    # Paths under the data dir are written out only when it is given; otherwise they
    # follow $SUUUPRA_DATA_DIR at run time like every other data-dir path.
    under_data_dir = bool(data_dir)
    return {
        "platform": platform,
        "spark": SparkResource(platform=platform, master=str(defaults.spark_master)),
        "flink": FlinkResource(platform=platform),  # no JobManager: embedded MiniCluster over the lake
        "feast": FeastResource(platform=platform, offline_store="file", online_store="sqlite"),
        "mlflow": MLflowResource(
            platform=platform, tracking_uri=str(defaults.mlflow_tracking_uri) if under_data_dir else ""
        ),
        "qdrant": QdrantResource(platform=platform),  # no URL: embedded store at <data_dir>/qdrant
        "event_log": EventLogResource(platform=platform, backend="local"),
        "database": DatabaseResource(
            platform=platform, url=str(defaults.database_url) if under_data_dir else ""
        ),
    }


def _prod(data_dir: str) -> dict[str, ConfigurableResource]:
    platform = PlatformSettings(profile="prod", data_dir=data_dir)
    kafka = EnvVar("SUUUPRA_KAFKA_BOOTSTRAP_SERVERS")
    return {
        "platform": platform,
        "spark": SparkResource(platform=platform, master=EnvVar("SUUUPRA_SPARK_MASTER")),
        "flink": FlinkResource(
            platform=platform,
            jobmanager=EnvVar("SUUUPRA_FLINK_JOBMANAGER"),
            kafka_connector_jar=EnvVar("SUUUPRA_FLINK_KAFKA_CONNECTOR_JAR"),
            kafka_bootstrap_servers=kafka,
        ),
        "feast": FeastResource(
            platform=platform,
            offline_store="spark",
            online_store="redis",
            registry_url=EnvVar("SUUUPRA_FEAST_REGISTRY_URL"),
            redis_url=EnvVar("SUUUPRA_REDIS_URL"),
        ),
        "mlflow": MLflowResource(platform=platform, tracking_uri=EnvVar("SUUUPRA_MLFLOW_TRACKING_URI")),
        "qdrant": QdrantResource(platform=platform, url=EnvVar("SUUUPRA_QDRANT_URL")),
        "event_log": EventLogResource(platform=platform, backend="kafka", kafka_bootstrap_servers=kafka),
        "database": DatabaseResource(platform=platform, url=EnvVar("SUUUPRA_DATABASE_URL")),
    }


#: Environment name -> builder of its resources (``""``: decided by the environment at run time).
RESOURCES_BY_ENV: dict[str, Callable[[str], dict[str, ConfigurableResource]]] = {
    "": _from_environment,
    "local": _local,
    "prod": _prod,
}

#: The ``SUUUPRA_*`` variables the prod resources require at run time.
PROD_ENV_VARS = (
    "SUUUPRA_SPARK_MASTER",
    "SUUUPRA_FLINK_JOBMANAGER",
    "SUUUPRA_FLINK_KAFKA_CONNECTOR_JAR",
    "SUUUPRA_KAFKA_BOOTSTRAP_SERVERS",
    "SUUUPRA_FEAST_REGISTRY_URL",
    "SUUUPRA_REDIS_URL",
    "SUUUPRA_MLFLOW_TRACKING_URI",
    "SUUUPRA_QDRANT_URL",
    "SUUUPRA_DATABASE_URL",
)


def resources_for(profile: str = "", data_dir: str = "") -> dict[str, ConfigurableResource]:
    """All resources for one environment (``local``, ``prod``, or ``""``: from the environment)."""
    key = profile.value if isinstance(profile, Profile) else str(profile or "")
    try:
        build = RESOURCES_BY_ENV[key]
    except KeyError:
        raise ValueError(f"unknown environment {profile!r}; choose local or prod") from None
    return build(str(data_dir or ""))
