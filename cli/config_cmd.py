"""``suuupra config``: inspect the effective settings."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Inspect configuration.", no_args_is_help=True)


@app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Print the effective settings, secrets masked."""
    from suuupra.settings import get_settings

    values = get_settings().masked()
    if as_json:
        typer.echo(json.dumps(values, indent=2, default=str))
        return
    table = Table(title=f"Suuupra settings (profile: {values['profile']})")
    table.add_column("setting")
    table.add_column("value")
    for key, value in values.items():
        table.add_row(key, str(value))
    Console().print(table)
