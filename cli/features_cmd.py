"""``suuupra features``: apply the Feast repo, materialize, inspect."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from suuupra.errors import CLIError

app = typer.Typer(help="Feature store (Feast): apply, materialize, show.", no_args_is_help=True)


def _error(message: str) -> CLIError:
    return CLIError(message)


@app.command("apply")
def apply_cmd() -> None:
    """Register entities, views and services and create online tables (idempotent)."""
    from features.apply import apply_repo
    from suuupra.settings import get_settings

    settings = get_settings()
    try:
        summary = apply_repo(settings)
    except Exception as exc:  # registry/online store unreachable
        raise _error(f"feast apply failed ({type(exc).__name__}: {exc}); check SUUUPRA_FEAST_REGISTRY_URL "
                     "and SUUUPRA_REDIS_URL for the prod profile") from None
    console = Console()
    console.print(f"[green]applied[/] project [bold]{summary.project}[/] ({settings.profile.value} profile)")
    console.print(f"feature views: {', '.join(summary.feature_views)}")
    console.print(f"on-demand: {', '.join(summary.on_demand_feature_views)}")
    console.print(f"feature services: {', '.join(summary.feature_services)}")
    if summary.seeded_tables:
        console.print(f"seeded empty stream tables (no Flink output yet): {', '.join(summary.seeded_tables)}")


@app.command("materialize")
def materialize_cmd(
    end: str = typer.Option(None, "--end", help="ISO timestamp (UTC) to materialize up to; default now."),
    view: list[str] = typer.Option(None, "--view", help="Feature view(s) to materialize; default all."),
) -> None:
    """Incrementally load new offline rows into the online store."""
    from datetime import UTC, datetime

    from features.materialize import materialize_incremental
    from suuupra.settings import get_settings

    end_dt = None
    if end:
        try:
            end_dt = datetime.fromisoformat(end)
        except ValueError:
            raise _error(f"--end {end!r} is not an ISO timestamp, e.g. 2026-11-24T00:00:00") from None
        end_dt = end_dt if end_dt.tzinfo else end_dt.replace(tzinfo=UTC)
    try:
        summary = materialize_incremental(get_settings(), end=end_dt, views=view or None)
    except (RuntimeError, ValueError) as exc:
        raise _error(str(exc)) from None
    console = Console()
    console.print(f"[green]materialized[/] up to {summary.end.isoformat()}: {', '.join(summary.materialized) or '-'}")
    for name, why in summary.skipped.items():
        console.print(f"[yellow]skipped[/] {name}: {why}")


@app.command("show")
def show_cmd(
    service: str = typer.Option(None, "--service", help="Show this feature service's features."),
    entity: list[str] = typer.Option(
        None, "--entity", help="key=value (repeatable) to fetch the service's online values, e.g. learner_id=L1."
    ),
) -> None:
    """List feature services/views, or one service's features and (with --entity) online values."""
    from features.store import get_store
    from suuupra.settings import get_settings

    settings = get_settings()
    store = get_store(settings)
    services = {s.name: s for s in store.list_feature_services()}
    if not services:
        raise _error("no feature services registered: run `suuupra features apply` first")
    console = Console()
    if not service:
        table = Table(title=f"Feast project {store.project}")
        for col in ("service", "consumer", "entities", "features"):
            table.add_column(col)
        for s in services.values():
            n = sum(len(p.features) for p in s.feature_view_projections)
            table.add_row(s.name, s.tags.get("consumer", ""), s.tags.get("entities", ""), str(n))
        console.print(table)
        views = Table(title="feature views")
        for col in ("view", "entities", "ttl", "source", "features"):
            views.add_column(col)
        for fv in store.list_feature_views():
            views.add_row(fv.name, ",".join(fv.entities), str(fv.ttl), fv.batch_source.name, str(len(fv.features)))
        console.print(views)
        return
    if service not in services:
        raise _error(f"unknown feature service {service!r}; registered: {', '.join(sorted(services))}")
    if not entity:
        for p in services[service].feature_view_projections:
            for f in p.features:
                console.print(f"{p.name_to_use()}__{f.name}  [dim]{f.dtype}[/]")
        return
    row: dict[str, object] = {}
    for item in entity:
        if "=" not in item:
            raise _error(f"--entity {item!r} must look like key=value")
        k, v = item.split("=", 1)
        try:
            row[k] = float(v) if k == "amount_minor" else v
        except ValueError:
            raise _error(f"--entity amount_minor={v!r} must be a number") from None
    from features.online import get_online_features

    res = get_online_features(service, [row], settings, budget_ms=10_000)
    if res.error:
        raise _error(res.error)
    out = {"unknown_entity": res.unknown_entity[0], "latency_ms": round(res.latency_ms, 2), **res.rows[0]}
    typer.echo(json.dumps(out, indent=2, default=str))
