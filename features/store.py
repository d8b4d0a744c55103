"""Build Feast's ``RepoConfig`` from platform settings and hand out ``FeatureStore`` objects.

There is no ``feature_store.yaml``: the config is built in code from the
``Settings`` the caller passes, so every path is absolute (under
``settings.feast_dir``) and nothing depends on the working directory.

Profiles:

* ``local``: file (dask) offline store over the lake Parquet tables, SQLite
  online store and a file registry, all under ``<data_dir>/feast``.
* ``prod``: Spark offline store, Redis online store (``settings.redis_url``)
  and a SQL registry on PostgreSQL (``settings.feast_registry_url``). The SQL
  registry is cached in memory and refreshed by a background thread every
  ``feast_registry_ttl_s`` seconds (``cache_mode="thread"``), so a request never
  waits on a registry round-trip; views keep serving their last values while
  they are being materialized (``serve_features_while_materializing``).

``settings.feast_offline_store`` / ``feast_online_store`` override the
per-profile choice (tests run prod's Redis + SQL registry with the file offline
store so they need no Spark session).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from feast import FeatureStore, RepoConfig

from suuupra.settings import Profile, Settings


def offline_kind(settings: Settings) -> str:
    """``"file"`` or ``"spark"``: which offline store (and data source type) to use."""
    if settings.feast_offline_store:
        return settings.feast_offline_store
    return "file" if settings.profile is Profile.local else "spark"


def online_kind(settings: Settings) -> str:
    """``"sqlite"`` or ``"redis"``."""
    if settings.feast_online_store:
        return settings.feast_online_store
    return "sqlite" if settings.profile is Profile.local else "redis"


def redis_connection_string(redis_url: str) -> str:
    """Translate ``redis://[:pw@]host:port/db`` into Feast's ``host:port,db=N,password=..`` form."""
    u = urlparse(redis_url)
    if u.scheme not in ("redis", "rediss"):
        raise ValueError(f"SUUUPRA_REDIS_URL must be redis:// or rediss://, got {redis_url!r}")
    parts = [f"{u.hostname or '127.0.0.1'}:{u.port or 6379}"]
    db = (u.path or "/0").lstrip("/") or "0"
    parts.append(f"db={int(db)}")
    if u.password:
        parts.append(f"password={unquote(u.password)}")
    if u.scheme == "rediss":
        parts.append("ssl=true")
    return ",".join(parts)


@dataclass(frozen=True)
class StoreConfig:
    """Every setting a ``FeatureStore`` is built from: the key of the store cache.

    Two ``Settings`` values that agree on these fields share one warm store;
    any other difference (say, the LLM URL) does not build a second one.
    """

    profile: Profile
    project: str
    feast_dir: Path
    registry_url: str | None
    registry_ttl_s: int
    redis_url: str
    offline: str
    online: str
    spark_master: str
    spark_shuffle_partitions: int

    @classmethod
    def of(cls, settings: Settings) -> StoreConfig:
        return cls(
            profile=settings.profile,
            project=settings.feast_project,
            feast_dir=settings.feast_dir,
            registry_url=settings.feast_registry_url,
            registry_ttl_s=settings.feast_registry_ttl_s,
            redis_url=settings.redis_url,
            offline=offline_kind(settings),
            online=online_kind(settings),
            spark_master=settings.spark_master or "local[*]",
            spark_shuffle_partitions=settings.spark_shuffle_partitions,
        )


def build_repo_config(settings: Settings) -> RepoConfig:
    """The ``RepoConfig`` for ``settings`` (see module docstring for the profiles)."""
    return _repo_config(StoreConfig.of(settings))


def _repo_config(cfg: StoreConfig) -> RepoConfig:
    feast_dir = cfg.feast_dir
    feast_dir.mkdir(parents=True, exist_ok=True)
    ttl = cfg.registry_ttl_s

    registry: dict[str, Any]
    if cfg.profile is Profile.prod:
        if not cfg.registry_url:
            raise ValueError("SUUUPRA_FEAST_REGISTRY_URL must be set in the prod profile")
        registry = {
            "registry_type": "sql",
            "path": cfg.registry_url,
            "cache_ttl_seconds": ttl,
            "cache_mode": "thread",
            "serve_features_while_materializing": True,
            "sqlalchemy_config_kwargs": {"echo": False, "pool_pre_ping": True},
        }
    else:
        # A file registry is a local protobuf file: a refresh is a stat + read of a
        # few KB, so sync mode (reload on mtime change or TTL expiry) is cheap.
        registry = {
            "registry_type": "file",
            "path": str(feast_dir / "registry.db"),
            "cache_ttl_seconds": ttl,
            "cache_mode": "sync",
        }

    online: dict[str, Any]
    if cfg.online == "redis":
        online = {"type": "redis", "connection_string": redis_connection_string(cfg.redis_url)}
    else:
        online = {"type": "sqlite", "path": str(feast_dir / "online_store.db")}

    offline: dict[str, Any]
    if cfg.offline == "spark":
        offline = {
            "type": "spark",
            "spark_conf": {
                "spark.master": cfg.spark_master,
                "spark.sql.session.timeZone": "UTC",
                "spark.sql.shuffle.partitions": str(cfg.spark_shuffle_partitions),
                "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
            },
            "staging_location": str(feast_dir / "spark_staging"),
        }
    else:
        offline = {"type": "dask"}

    return RepoConfig(
        project=cfg.project,
        provider="local",
        registry=registry,
        online_store=online,
        offline_store=offline,
        entity_key_serialization_version=3,
        repo_path=feast_dir,
    )


_STORES: dict[StoreConfig, FeatureStore] = {}
_LOCK = threading.Lock()


def get_store(settings: Settings) -> FeatureStore:
    """A process-wide ``FeatureStore`` for ``settings`` (built once per :class:`StoreConfig`, then reused).

    Reusing one store keeps the registry cache and online-store connections warm,
    which is what makes the per-request path fast.
    """
    key = StoreConfig.of(settings)
    store = _STORES.get(key)
    if store is None:
        with _LOCK:
            store = _STORES.get(key)
            if store is None:
                store = FeatureStore(config=_repo_config(key))
                _STORES[key] = store
    return store


def forget_stores() -> None:
    """Drop cached stores (tests switching data dirs/projects use this)."""
    with _LOCK:
        _STORES.clear()
