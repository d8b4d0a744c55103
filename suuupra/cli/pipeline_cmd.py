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
    from suuupra.cli.app import CLIError
    from suuupra.settings import get_settings

    settings = get_settings()
    prepare_dagster_home(settings)
    defs = build_definitions()
    all_assets = list(defs.assets or [])
    checks = list(defs.asset_checks or [])
    selection = None if select == "*" else AssetSelection.from_string(select)
    started = time.perf_counter()
    result = materialize(
        [*all_assets, *checks],
        instance=DagsterInstance.get(),
        resources=defs.resources,
        run_config=run_config_for(scale, quick),
        selection=selection,
        raise_on_error=False,
    )
    elapsed = time.perf_counter() - started
    table = Table(title=f"suuupra pipeline run: {'succeeded' if result.success else 'FAILED'} in {elapsed:.1f}s")
    table.add_column("asset")
    table.add_column("rows", justify="right")
    table.add_column("details")
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        md = mat.metadata
        rows = md.get("rows") or md.get("row_count") or md.get("dagster/row_count")
        detail_keys = [k for k in md if k not in ("rows", "row_count", "dagster/row_count")][:3]
        details = ", ".join(f"{k}={_short(md[k])}" for k in detail_keys)
        table.add_row(mat.asset_key.to_user_string(), str(getattr(rows, "value", rows) or ""), details)
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            ev = event.event_specific_data
            status = "passed" if ev.passed else "FAILED"
            table.add_row(f"check {ev.asset_key.to_user_string()}:{ev.check_name}", "", status)
    Console().print(table)
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        raise CLIError(f"pipeline failed at step(s): {', '.join(failed) or 'unknown'}; see the log above")


def _short(value: Any) -> str:
    inner = getattr(value, "value", value)
    text = str(inner)
    if len(text) > 40 or "\n" in text:
        return "…"
    return text
