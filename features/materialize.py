"""Incremental materialization: offline lake tables -> online store.

``materialize_incremental`` loads, per feature view, everything newer than the
view's last materialized interval (the first run goes back one TTL). Views whose
lake table has no data yet are skipped and reported instead of failing the run,
so one missing Flink output does not block the daily batch views.

While a view materializes, online reads keep serving its previous values: the
online write is an upsert per entity, and with the SQL registry
``serve_features_while_materializing`` stops the ``MATERIALIZING`` state from
gating reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from suuupra.lake import table_path
from suuupra.settings import Settings


@dataclass
class MaterializeSummary:
    end: datetime
    materialized: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _table_of(view) -> str | None:
    source = view.batch_source
    name = getattr(source, "name", "") or ""
    return name.removesuffix("_source") or None


def materialize_incremental(
    settings: Settings,
    *,
    end: datetime | None = None,
    views: list[str] | None = None,
) -> MaterializeSummary:
    """Materialize new offline rows of ``views`` (default: all online views) up to ``end`` (default now)."""
    from features.apply import has_parquet
    from features.store import get_store

    end = end or datetime.now(UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    store = get_store(settings)
    store.refresh_registry()
    registered = {fv.name: fv for fv in store.list_feature_views() if fv.online}
    if not registered:
        raise RuntimeError("no feature views registered: run `suuupra features apply` first")
    wanted = views or sorted(registered)
    unknown = sorted(set(wanted) - set(registered))
    if unknown:
        raise ValueError(f"unknown feature views {unknown}; registered: {sorted(registered)}")
    summary = MaterializeSummary(end=end)
    ready = []
    for name in wanted:
        table = _table_of(registered[name])
        if table and not has_parquet(table_path(table, settings)):
            summary.skipped[name] = f"lake table {table!r} has no data yet"
            continue
        ready.append(name)
    if ready:
        store.materialize_incremental(end_date=end, feature_views=ready)
    summary.materialized = ready
    return summary
