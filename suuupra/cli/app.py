"""Root Typer app and error handling shared by every sub-command."""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from suuupra.cli.registry import COMMAND_GROUPS

console = Console(stderr=True)

app = typer.Typer(
    name="suuupra",
    help="Suuupra data & ML platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


from suuupra.errors import CLIError  # noqa: E402,F401 - the one CLI error, defined in the kernel


def _register_groups() -> None:
    for name, target in COMMAND_GROUPS.items():
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # an optional area missing its deps
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        sub = getattr(module, attr)
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=name)
        else:
            app.command(name=name)(sub)


_registered = False


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the CLI and turns known errors into clear messages."""
    global _registered
    from suuupra.settings import SettingsError

    if not _registered:
        _register_groups()
        _registered = True
    try:
        app(args=argv, standalone_mode=True)
    except (CLIError, SettingsError) as exc:
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
