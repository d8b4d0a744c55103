"""Dagster resources keyed by environment (``local`` / ``prod``).

One ``ConfigurableResource`` per engine (Spark, Flink, Feast, MLflow, Qdrant, the
event log, the database), each layered over :class:`PlatformSettings`;
:func:`resources_for` returns the set for one environment (the hooli pattern: the
environment picks the resource configuration, the asset code is the same).
"""

from dagster_project.resources.base import EngineResource, PlatformSettings
from dagster_project.resources.database import DatabaseResource
from dagster_project.resources.environments import PROD_ENV_VARS, RESOURCES_BY_ENV, resources_for
from dagster_project.resources.event_log import EventLogResource
from dagster_project.resources.feast import FeastResource
from dagster_project.resources.flink import FlinkResource
from dagster_project.resources.mlflow import MLflowResource
from dagster_project.resources.qdrant import QdrantResource
from dagster_project.resources.spark import SparkResource

__all__ = [
    "PROD_ENV_VARS",
    "RESOURCES_BY_ENV",
    "DatabaseResource",
    "EngineResource",
    "EventLogResource",
    "FeastResource",
    "FlinkResource",
    "MLflowResource",
    "PlatformSettings",
    "QdrantResource",
    "SparkResource",
    "resources_for",
]
