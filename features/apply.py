"""``feast apply`` for our programmatic repo.

Registers entities, sources, views and services in the registry of the active
profile and creates the online-store tables. Stream tables that Flink has not
written yet get a zero-row, schema-correct seed file so historical retrieval and
materialization work from day one (Spark/Flink overwrite or add files next to it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from features.data_sources import STREAM_TABLES, TABLE_SCHEMAS
from suuupra.lake import table_path
from suuupra.settings import Settings

SEED_FILE = "part-00000-feast-seed.parquet"


@dataclass
class ApplySummary:
    project: str
    entities: list[str]
    feature_views: list[str]
    on_demand_feature_views: list[str]
    feature_services: list[str]
    seeded_tables: list[str] = field(default_factory=list)


def has_parquet(path: Path) -> bool:
    """True when ``path`` (a table directory) holds at least one visible Parquet file."""
    if path.is_file():
        return True
    if not path.is_dir():
        return False
    return any(
        not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
        for p in path.rglob("*.parquet")
    )


def seed_stream_tables(settings: Settings) -> list[str]:
    """Write an empty, typed Parquet file into stream tables that have no data yet."""
    seeded = []
    for table in STREAM_TABLES:
        path = table_path(table, settings)
        if has_parquet(path):
            continue
        path.mkdir(parents=True, exist_ok=True)
        tmp = path / f".{SEED_FILE}.inprogress"
        pq.write_table(pa.Table.from_pylist([], schema=TABLE_SCHEMAS[table]), tmp)
        tmp.rename(path / SEED_FILE)
        seeded.append(table)
    return seeded


def apply_repo(settings: Settings) -> ApplySummary:
    """Apply every Feast object for ``settings`` and refresh this process's registry cache."""
    from features.repo import build_repo
    from features.store import get_store

    seeded = seed_stream_tables(settings)
    repo = build_repo(settings)
    store = get_store(settings)
    store.apply(repo.objects())
    # With a cached (thread-refreshed) SQL registry the applying process would
    # otherwise only see its own changes after the next background refresh.
    store.refresh_registry()
    return ApplySummary(
        project=settings.feast_project,
        entities=[e.name for e in repo.entities],
        feature_views=sorted(repo.views),
        on_demand_feature_views=sorted(repo.on_demand),
        feature_services=sorted(repo.services),
        seeded_tables=seeded,
    )
