"""``suuupra demo-data``: write the deterministic demo world into the event lake."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.table import Table


def demo_data(
    scale: int = typer.Option(1, "--scale", min=1, help="1 = ~1k learners, seconds; 100 = millions of events."),
    seed: int = typer.Option(42, "--seed", help="Same seed (and dates) -> identical events."),
    start: str = typer.Option("2026-10-27", "--start", help="First simulated day (YYYY-MM-DD, UTC)."),
    days: int = typer.Option(28, "--days", min=1, help="Number of simulated days."),
    keep: bool = typer.Option(False, "--keep", help="Append instead of replacing existing demo events."),
) -> None:
    """Generate synthetic learners, courses, engagement, commerce and labelled fraud."""
    from suuupra.demo import WorldConfig, write_demo_world
    from suuupra.errors import CLIError
    from suuupra.settings import get_settings

    try:
        start_date = date.fromisoformat(start)
    except ValueError:
        raise CLIError(f"--start {start!r} is not a date; use YYYY-MM-DD, e.g. --start 2026-10-27") from None
    settings = get_settings()
    summary = write_demo_world(
        settings.events_dir, WorldConfig(scale=scale, seed=seed, start=start_date, days=days), replace=not keep
    )
    table = Table(title=f"Demo world written to {settings.events_dir}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in [
        ("events", summary.events),
        ("learners", summary.learners),
        ("courses", summary.courses),
        ("payment attempts", summary.payments),
        ("fraud attempts", summary.fraud_payments),
        ("fraud rate", f"{summary.fraud_rate:.2%}"),
    ]:
        table.add_row(key, str(value))
    Console().print(table)
