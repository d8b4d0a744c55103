"""The one Dagster ``Definitions`` for the whole platform.

Loading must stay fast: asset modules only declare assets; the heavy imports
(Spark, Flink, Feast, torch, Ray) happen inside asset bodies.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from dagster import Definitions

from dagster_project.resources import resources_for

# Area asset modules in lineage order; a module that is absent is skipped.
ASSET_MODULES = [
    "dagster_project.assets.foundation",
    "dagster_project.assets.pipelines",
    "dagster_project.assets.analytics",
    "dagster_project.assets.features",
    "dagster_project.assets.models",
    "dagster_project.assets.search",
    "dagster_project.assets.tutor",
    "dagster_project.assets.serving",
    "dagster_project.assets.apps_api",
    "dagster_project.assets.streaming",
    "dagster_project.assets.automation",
]


def _load_modules() -> list[ModuleType]:
    modules = []
    for name in ASSET_MODULES:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return modules


def build_definitions(profile: str | None = None, data_dir: str = "") -> Definitions:
    """Collect every area's assets, checks, jobs, schedules and sensors."""
    assets, checks, jobs, schedules, sensors = [], [], [], [], []
    for module in _load_modules():
        assets += list(getattr(module, "ASSETS", []))
        checks += list(getattr(module, "ASSET_CHECKS", []))
        jobs += list(getattr(module, "JOBS", []))
        schedules += list(getattr(module, "SCHEDULES", []))
        sensors += list(getattr(module, "SENSORS", []))
    return Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=jobs,
        schedules=schedules,
        sensors=sensors,
        resources=resources_for(profile or "", data_dir),
    )


defs = build_definitions()
