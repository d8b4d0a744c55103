"""``suuupra etl``: batch ETL (Spark), stream jobs (Flink) and quality gates.

An edge: each command reads the settings once and passes them down; ``etl flink``
also composes the Flink publisher with the feature store's push sink.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from suuupra.errors import CLIError

if TYPE_CHECKING:
    from pipelines.flink.publish import Pusher
    from suuupra.settings import Settings

app = typer.Typer(help="Pipelines: Spark batch ETL, Flink stream analytics, quality gates.", no_args_is_help=True)
console = Console()


def _rows_table(title: str, rows: dict[str, int], seconds: dict[str, float] | None = None) -> Table:
    table = Table(title=title)
    table.add_column("table")
    table.add_column("rows", justify="right")
    if seconds is not None:
        table.add_column("seconds", justify="right")
    for name, n in rows.items():
        table.add_row(name, str(n), *([f"{seconds.get(name, 0):.1f}"] if seconds is not None else []))
    return table


def _feature_store_pusher(settings: Settings) -> Pusher:
    """The feature store's push sink for the publisher (composed here, at the edge).

    Imported lazily and only with ``--push``: pipelines sit below features, and
    ``--no-push`` must work where the feature store is not installed.
    """
    from features.push import feast_pusher

    return feast_pusher(settings)


@app.command("spark")
def spark_cmd(
    date: str = typer.Option(None, "--date", help="YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD (default: every raw date)."),
    tables: str = typer.Option("", "--tables", help="Comma-separated derived tables to rebuild (default: all)."),
    check: bool = typer.Option(True, "--check/--no-check", help="Run the quality gates afterwards."),
) -> None:
    """Rebuild the lake tables for the given date partitions (idempotent per date)."""
    from pipelines.quality import CONTRACTS, QualityError, assert_table_quality
    from pipelines.spark.etl import PARTITIONED, SNAPSHOTS, EtlError, parse_dates, run_etl
    from suuupra.settings import get_settings

    wanted = [t.strip() for t in tables.split(",") if t.strip()] or None
    unknown = sorted(set(wanted or []) - set(PARTITIONED + SNAPSHOTS))
    if unknown:
        raise CLIError(f"unknown table(s) {unknown}; choose from {', '.join(PARTITIONED + SNAPSHOTS)}")
    try:
        settings = get_settings()
        dates = parse_dates(date, settings)
        result = run_etl(settings, dates, tables=wanted, report=lambda m: console.print(f"[dim]{m}[/]"))
    except EtlError as exc:
        raise CLIError(str(exc)) from None
    console.print(_rows_table(f"ETL {dates[0]}..{dates[-1]}", result.rows, result.seconds))
    if check:
        failures = []
        for name in result.rows:
            if name in CONTRACTS:
                try:
                    assert_table_quality(name, settings)
                except QualityError as exc:
                    failures.append(str(exc))
        if failures:
            raise CLIError("quality gates failed:\n" + "\n".join(failures))
        console.print("[green]quality gates passed[/]")


@app.command("check")
def check_cmd(table: list[str] = typer.Option(None, "--table", help="Table(s) to check (default: all).")) -> None:
    """Run the quality gates (schema, row count, null rates, uniqueness, freshness)."""
    from pipelines.quality import CONTRACTS, check_table
    from suuupra.settings import get_settings

    names = table or list(CONTRACTS)
    unknown = sorted(set(names) - set(CONTRACTS))
    if unknown:
        raise CLIError(f"unknown table(s) {unknown}; choose from {', '.join(CONTRACTS)}")
    out = Table(title="quality gates")
    for col in ("table", "check", "ok", "detail"):
        out.add_column(col)
    failed = 0
    settings = get_settings()
    for name in names:
        for r in check_table(name, settings):
            failed += not r.passed
            out.add_row(name, r.check, "[green]yes[/]" if r.passed else "[red]NO[/]", r.detail)
    console.print(out)
    if failed:
        raise CLIError(f"{failed} quality check(s) failed (see the table above)")


@app.command("flink")
def flink_cmd(
    once: bool = typer.Option(False, "--once", help="Process what is in the lake, publish, exit."),
    follow: bool = typer.Option(False, "--follow", help="Keep monitoring the lake (Kafka in prod) and publishing."),
    job: str = typer.Option("all", "--job", help="velocity | engagement | all"),
    lateness: float = typer.Option(5.0, "--lateness", min=0, help="Allowed lateness in seconds (follow mode)."),
    push: bool = typer.Option(True, "--push/--no-push", help="Push features to Feast (online + offline)."),
    duration: float = typer.Option(0, "--duration", min=0, help="Stop a --follow run after N seconds (0: Ctrl-C)."),
    restore: bool = typer.Option(True, "--restore/--fresh", help="Resume --follow from the newest checkpoint."),
) -> None:
    """Run the PyFlink stream jobs and publish their output to the lake and Feast."""
    from pipelines.flink.jobs import JOBS, FlinkJobError, run_job, start_job
    from pipelines.flink.publish import publish, reset_outputs
    from pipelines.flink.sql import StreamOptions
    from suuupra.settings import get_settings

    if once == follow:
        raise CLIError("choose exactly one of --once or --follow")
    jobs = list(JOBS) if job == "all" else [job]
    if any(j not in JOBS for j in jobs):
        raise CLIError(f"unknown job {job!r}; choose velocity, engagement or all")
    opts = StreamOptions(lateness_s=lateness)
    names = [n for j in jobs for n in JOBS[j]]
    settings = get_settings()
    try:
        pusher = _feature_store_pusher(settings) if push else None
        if once:
            for j in jobs:
                with console.status(f"flink {j} (bounded)"):
                    r = run_job(j, settings, opts=opts)
                console.print(f"[dim]{j}: {r.seconds:.1f}s[/]")
            reset_outputs(settings, names)
            console.print(_rows_table("published", publish(settings, names, pusher)))
            return
        running = [start_job(j, settings, follow=True, opts=opts, restore=restore) for j in jobs]
        console.print(f"following {', '.join(jobs)} (checkpoints under data_dir/checkpoints/flink); Ctrl-C to stop")
        t_end = time.monotonic() + duration if duration else None
        total: dict[str, int] = {}
        try:
            while t_end is None or time.monotonic() < t_end:
                for name, n in publish(settings, names, pusher).items():
                    total[name] = total.get(name, 0) + n
                time.sleep(0.25)
        except KeyboardInterrupt:
            pass
        finally:
            for r in running:
                r.cancel()
        for name, n in publish(settings, names, pusher).items():
            total[name] = total.get(name, 0) + n
        console.print(_rows_table("published", total))
    except FlinkJobError as exc:
        raise CLIError(str(exc)) from None
    except ImportError as exc:
        raise CLIError(f"{exc}; run with --no-push if the feature store is not installed") from None
