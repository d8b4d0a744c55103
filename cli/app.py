"""The ``suuupra`` command: every area's command group, joined by plain imports.

The CLI sits at the top of the platform: it is the edge that reads the settings
(each command builds them once and passes them down) and the one place allowed to
compose areas (crawl + index, Flink publishing + the feature store, the tutor +
its Serve stack). A missing or broken command module fails loudly at start-up.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from cli import (
    api_cmd,
    config_cmd,
    crawl_cmd,
    demo_cmd,
    etl_cmd,
    features_cmd,
    fraud_cmd,
    models_cmd,
    pipeline_cmd,
    search_cmd,
    serve_cmd,
    streaming_cmd,
    tutor_cmd,
    up_cmd,
)
from suuupra.errors import CLIError
from suuupra.settings import SettingsError

console = Console(stderr=True)

app = typer.Typer(
    name="suuupra",
    help="Suuupra data & ML platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _name, _group in (
    ("config", config_cmd.app), ("pipeline", pipeline_cmd.app), ("crawl", crawl_cmd.app),
    ("index", crawl_cmd.index_app), ("etl", etl_cmd.app), ("features", features_cmd.app),
    ("api", api_cmd.app), ("db", api_cmd.db_app), ("tutor", tutor_cmd.app), ("eval", tutor_cmd.eval_app),
    ("streaming", streaming_cmd.app), ("bench", models_cmd.bench_app), ("models", models_cmd.app),
    ("serve", serve_cmd.app), ("fraud", fraud_cmd.app),
):
    app.add_typer(_group, name=_name)
for _name, _command in (("search", search_cmd.search_cmd), ("demo-data", demo_cmd.demo_data),
                        ("up", up_cmd.up), ("walk", up_cmd.walk_cmd)):
    app.command(name=_name)(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the CLI and turns known errors into one clear message (exit 2)."""
    try:
        app(args=argv, standalone_mode=True)
    except (CLIError, SettingsError) as exc:
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
