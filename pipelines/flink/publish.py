"""Publish committed Flink output: Parquet in the lake, or a push sink for the feature tables.

The Flink file sinks commit JSON files into ``<lake_dir>/flink/<name>/``
(exactly once with respect to Flink's checkpoints). This publisher turns each
newly committed file into rows of the contract stream table
``<tables_dir>/stream/<name>/``. Rows of a feature table (one with an entity
key in :mod:`suuupra.stream_tables`) go to the ``pusher`` the caller hands in,
as ``pusher("<name>_push", frame)``; the feature store's pusher
(``features.push.feast_pusher``) writes the online store and the lake part.
Pipelines sit below features, so this module never imports the feature store:
its edges (the CLI command, the Dagster asset) pass the pusher.

Idempotency: published file names are recorded in ``_published.json`` after
each push. If the process dies between a push and that record, the file is
pushed again on restart; Feast online writes are upserts keyed by
(entity, event_timestamp) and the values are identical, so the online store
does not double count (the offline table may then hold an identical duplicate
row, which point-in-time joins collapse).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from pipelines.flink.sql import SINKS
from suuupra.lake import flink_staging_path, stream_table_path
from suuupra.settings import Settings
from suuupra.stream_tables import FEATURE_TABLES, STREAM_TABLES, ColumnType

#: stream tables that have a push source of the same name + ``_push``
PUSHED: tuple[str, ...] = FEATURE_TABLES

#: ``pusher(push_source_name, frame) -> rows pushed``: where feature-table rows go.
Pusher = Callable[[str, pd.DataFrame], int]


def _state_path(settings: Settings) -> Path:
    return settings.lake_dir / "flink" / "_published.json"


def _load_state(settings: Settings) -> dict[str, list[str]]:
    path = _state_path(settings)
    return json.loads(path.read_text()) if path.exists() else {}


def _save_state(settings: Settings, state: dict[str, list[str]]) -> None:
    path = _state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    tmp.write_text(json.dumps(state))
    tmp.replace(path)


def committed_files(name: str, settings: Settings) -> list[Path]:
    """Finished files of a sink (Flink keeps in-progress files dot-prefixed)."""
    root = flink_staging_path(name, settings)
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith((".", "_")))


def read_output(files: Iterable[Path], name: str) -> pd.DataFrame:
    """JSON lines of a sink -> typed frame (UTC timestamps)."""
    frames = [pd.read_json(f, lines=True, dtype=False) for f in files if f.stat().st_size]
    cols = list(SINKS[name])
    if not frames:
        return pd.DataFrame(columns=cols)
    df = pd.concat(frames, ignore_index=True)
    for col, typ in STREAM_TABLES[name].types().items():
        if col not in df.columns:
            continue
        if typ is ColumnType.instant:
            df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
        elif typ is ColumnType.wall_time:  # Flink writes window bounds without a zone, in UTC
            df[col] = pd.to_datetime(df[col], format="ISO8601").dt.tz_localize("UTC")
    return df[[c for c in cols if c in df.columns]]


def read_stream_output(name: str, settings: Settings) -> pd.DataFrame:
    """Every committed row of a Flink sink (tests, benchmarks, previews)."""
    return read_output(committed_files(name, settings), name)


def write_parquet_part(df: pd.DataFrame, directory: Path) -> Path:
    """Atomic new Parquet part (dot-prefixed temp name, then rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"part-flink-{time.time_ns()}-{uuid.uuid4().hex[:8]}.parquet"
    tmp = directory / f".{name}.inprogress"
    df.to_parquet(tmp, index=False)
    return tmp.replace(directory / name)


def publish(
    settings: Settings,
    names: Iterable[str] | None = None,
    pusher: Pusher | None = None,
) -> dict[str, int]:
    """Publish newly committed output of ``names`` (default: all sinks); returns rows per table.

    With a ``pusher`` the feature tables go through it (the feature store's
    pusher writes the lake Parquet too); without one, or for
    ``trending_courses`` (lake only), the Parquet part is written here.
    """
    state = _load_state(settings)
    out: dict[str, int] = {}
    for name in names or SINKS:
        done = set(state.get(name, []))
        new = [f for f in committed_files(name, settings) if f.name not in done]
        if not new:
            out[name] = 0
            continue
        df = read_output(new, name)
        if len(df):
            if pusher is not None and name in PUSHED:
                pusher(f"{name}_push", df)
            else:
                write_parquet_part(df, stream_table_path(name, settings))
        state[name] = sorted(done | {f.name for f in new})
        _save_state(settings, state)
        out[name] = len(df)
    return out


def reset_outputs(settings: Settings, names: Iterable[str] | None = None) -> None:
    """Forget what was published and clear the lake stream tables of ``names``.

    A bounded (``--once``) run recomputes everything from the lake, so its
    output replaces the previous one instead of being appended to it.
    """
    names = list(names or SINKS)
    state = _load_state(settings)
    for name in names:
        state.pop(name, None)
        directory = stream_table_path(name, settings)
        # only parts this publisher (or push_rows) wrote: seed files of the feature store stay
        for part in directory.glob("part-*.parquet") if directory.exists() else []:
            if part.name.startswith(("part-flink-", "part-feast-push-")):
                part.unlink()
    _save_state(settings, state)
