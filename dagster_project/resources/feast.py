"""Feast: the feature store (``features``), offline and online."""

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from dagster_project.resources.base import EngineResource

if TYPE_CHECKING:
    from feast import FeatureStore


class FeastResource(EngineResource):
    """Which offline/online stores and registry the feature store uses.

    Local: file (dask) offline store over the lake, SQLite online store, file
    registry under ``<data_dir>/feast``. Prod: Spark offline store, Redis online
    store, SQL registry on PostgreSQL. :meth:`store` is
    :func:`features.store.get_store`, which keeps one warm ``FeatureStore`` per
    configuration in a process.
    """

    SETTINGS_FIELDS: ClassVar[dict[str, str]] = {
        "offline_store": "feast_offline_store",
        "online_store": "feast_online_store",
        "registry_url": "feast_registry_url",
        "redis_url": "redis_url",
        "project": "feast_project",
    }

    offline_store: str = Field(default="", description="`file` or `spark`; empty: by profile.")
    online_store: str = Field(default="", description="`sqlite` or `redis`; empty: by profile.")
    registry_url: str = Field(default="", description="SQL registry URL (prod); empty: a file registry "
                              "locally, the settings default in prod.")
    redis_url: str = Field(default="", description="Redis URL of the online store; empty: the settings default.")
    project: str = Field(default="", description="Feast project name; empty: `suuupra`.")

    def store(self) -> "FeatureStore":
        from features.store import get_store

        return get_store(self.settings())
