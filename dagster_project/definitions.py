"""The one Dagster ``Definitions`` for the whole platform.

Loading must stay fast: asset modules only declare assets; the heavy imports
(Spark, Flink, Feast, torch, Ray) happen inside asset bodies.
"""

from __future__ import annotations

from types import ModuleType

from dagster import Definitions

from dagster_project.assets import (
    analytics,
    apps_api,
    automation,
    features,
    foundation,
    models,
    pipelines,
    search,
    serving,
    streaming,
    tutor,
)
from dagster_project.resources import resources_for

# Every area's asset module, in lineage order. Plain imports: a broken or renamed
# module fails loading loudly instead of silently removing its assets.
ASSET_MODULES: tuple[ModuleType, ...] = (
    foundation, pipelines, analytics, features, models, search, tutor, serving, apps_api, streaming, automation,
)


def build_definitions(profile: str | None = None, data_dir: str = "") -> Definitions:
    """Collect every area's assets, checks, jobs, schedules and sensors."""
    assets, checks, jobs, schedules, sensors = [], [], [], [], []
    for module in ASSET_MODULES:
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
