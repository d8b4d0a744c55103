"""The whole Feast repo as plain objects, built from settings.

The workshop layout keeps one module per object kind; this module wires them
together. Definitions are built by functions rather than at import time because
source paths (and source *types*: file vs Spark) depend on the settings' profile.
"""

from __future__ import annotations

from dataclasses import dataclass

from feast import Entity, FeatureService, FeatureView
from feast.data_source import DataSource
from feast.on_demand_feature_view import OnDemandFeatureView

from suuupra.settings import Settings


@dataclass(frozen=True)
class FeatureRepo:
    entities: list[Entity]
    sources: dict[str, DataSource]
    views: dict[str, FeatureView]
    on_demand: dict[str, OnDemandFeatureView]
    services: dict[str, FeatureService]

    def objects(self) -> list:
        """Everything ``FeatureStore.apply`` needs, in dependency order."""
        return [
            *self.entities,
            *self.sources.values(),
            *self.views.values(),
            *self.on_demand.values(),
            *self.services.values(),
        ]


def build_repo(settings: Settings) -> FeatureRepo:
    """Build every Feast object for ``settings``."""
    from features.data_sources import build_sources
    from features.entities import ALL_ENTITIES
    from features.feature_services import build_feature_services
    from features.feature_views import build_feature_views
    from features.on_demand import build_on_demand_views, payment_request

    sources = build_sources(settings)
    sources[payment_request.name] = payment_request
    views = build_feature_views(sources)
    odfvs = build_on_demand_views(views)
    services = build_feature_services(views, odfvs)
    return FeatureRepo(list(ALL_ENTITIES), sources, views, odfvs, services)
