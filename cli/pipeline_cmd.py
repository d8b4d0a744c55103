"""``suuupra pipeline run``: build every data product once, non-interactively."""

from __future__ import annotations

import time
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Build the platform's data products.", no_args_is_help=True)


def run_config_for(scale: int, quick: bool) -> dict[str, Any]:
    """Run config per asset: the demo scale, and small sizes for ``--quick`` runs."""
    from dagster_project.run_config import pipeline_run_config

    return pipeline_run_config(scale=scale, quick=quick)


def plan_stages(defs: Any, selection: Any | None) -> list[tuple[list[Any], Any | None]]:
    """Split the selected assets, in topological order, into runs of one partitioning.

    Dagster runs one partitions definition per run, so a whole-platform build is
    a sequence of runs: unpartitioned upstream assets, the daily-partitioned
    event-derived assets as one single-run backfill over a date range, then the
    unpartitioned downstream assets (features, models, index...).
    """
    graph = defs.resolve_asset_graph()
    selected = set(selection.resolve(graph)) if selection is not None else set(graph.get_all_asset_keys())
    stages: list[tuple[list[Any], Any | None]] = []
    scheduled: set[Any] = set()
    for level in graph.toposorted_asset_keys_by_level:
        for key in sorted(level, key=lambda k: (graph.get(k).partitions_def is not None, k.to_user_string())):
            if key not in selected or key in scheduled:
                continue
            node = graph.get(key)
            # A multi-asset's keys execute together: schedule the whole set at its first key.
            group = sorted(node.execution_set_asset_keys or {key}, key=lambda k: k.to_user_string())
            scheduled.update(group)
            pdef = node.partitions_def
            if stages and stages[-1][1] == pdef:
                stages[-1][0].extend(group)
            else:
                stages.append((list(group), pdef))
    return stages


def partition_range(pdef: Any, scale_days: int, start: str) -> tuple[str, str]:
    """First and last partition key that the demo world covers."""
    from datetime import date, timedelta

    first = date.fromisoformat(start)
    last = first + timedelta(days=scale_days - 1)
    keys = [k for k in pdef.get_partition_keys() if first.isoformat() <= k[:10] <= last.isoformat()]
    if not keys:
        raise ValueError(f"no partitions between {first} and {last}")
    return keys[0], keys[-1]


@app.command("run")
def run(
    scale: int = typer.Option(1, "--scale", min=1, help="Demo world scale."),
    quick: bool = typer.Option(False, "--quick", help="Small crawl/training sizes (tests, smoke runs)."),
    select: str = typer.Option("*", "--select", help="Dagster asset selection, e.g. 'group:marts'."),
) -> None:
    """Materialize every asset (or a selection) in dependency order and print a summary."""
    from dagster import AssetSelection, DagsterInstance, materialize

    from dagster_project.definitions import build_definitions
    from dagster_project.instance import prepare_dagster_home
    from suuupra.errors import CLIError
    from suuupra.settings import get_settings

    settings = get_settings()
    prepare_dagster_home(settings)
    defs = build_definitions()
    all_assets = list(defs.assets or [])
    checks = list(defs.asset_checks or [])
    try:
        selection = None if select == "*" else AssetSelection.from_string(select)
        stages = plan_stages(defs, selection)
    except Exception as exc:  # dagster raises several types for a bad selection string
        raise CLIError(f"invalid --select {select!r}: {exc}") from None
    run_config = run_config_for(scale, quick)
    demo_cfg = run_config["ops"]["demo_events"]["config"]
    instance = DagsterInstance.get()
    started = time.perf_counter()
    table = Table(title="suuupra pipeline run")
    table.add_column("asset")
    table.add_column("rows", justify="right")
    table.add_column("details")
    ok = True
    failed_steps: list[str] = []
    for keys, pdef in stages:
        tags: dict[str, str] = {}
        if pdef is not None:
            first, last = partition_range(pdef, demo_cfg.get("days", 28), demo_cfg.get("start", "2026-10-27"))
            tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
        stage_ops: dict[str, Any] = run_config["ops"]
        wanted = {k.to_python_identifier() for k in keys}
        result = materialize(
            [*all_assets, *checks],
            instance=instance,
            resources=defs.resources,
            run_config={
                "ops": {k: v for k, v in stage_ops.items() if k in wanted},
                "loggers": {"console": {"config": {"log_level": "INFO"}}},
            },
            selection=AssetSelection.assets(*keys),
            tags=tags,
            raise_on_error=False,
        )
        _add_rows(table, result)
        if not result.success:
            ok = False
            failed_steps += [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
            break
    elapsed = time.perf_counter() - started
    table.title = f"suuupra pipeline run: {'succeeded' if ok else 'FAILED'} in {elapsed:.1f}s"
    Console().print(table)
    if not ok:
        raise CLIError(f"pipeline failed at step(s): {', '.join(failed_steps) or 'unknown'}; see the log above")


def _add_rows(table: Table, result: Any) -> None:
    """One row per asset (a partitioned asset reports its last partition and the count)."""
    latest: dict[str, Any] = {}
    partitions: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        key = mat.asset_key.to_user_string()
        latest[key] = mat
        partitions[key] = partitions.get(key, 0) + (1 if mat.partition else 0)
    for key, mat in latest.items():
        md = mat.metadata
        rows = md.get("rows") or md.get("row_count") or md.get("dagster/row_count")
        detail_keys = [k for k in md if k not in ("rows", "row_count", "dagster/row_count")][:3]
        details = ", ".join(f"{k}={_short(md[k])}" for k in detail_keys)
        if partitions[key]:
            details = f"{partitions[key]} partitions; " + details
        table.add_row(key, str(getattr(rows, "value", rows) or ""), details)
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            ev = event.event_specific_data
            status = "passed" if ev.passed else "FAILED"
            table.add_row(f"check {ev.asset_key.to_user_string()}:{ev.check_name}", "", status)


def _short(value: Any) -> str:
    inner = getattr(value, "value", value)
    text = str(inner)
    if len(text) > 40 or "\n" in text:
        return "…"
    return text
