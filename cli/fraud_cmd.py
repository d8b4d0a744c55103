"""``suuupra fraud``: backtest fraud rules on the labelled payment history before enabling them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from suuupra.errors import CLIError

app = typer.Typer(help="Fraud operations: backtest rules on past payments.", no_args_is_help=True)


def _parse_rule(spec: str) -> dict[str, str]:
    name, sep, rest = spec.partition(":")
    action, sep2, condition = rest.partition(":")
    if not (sep and sep2 and name and action and condition.strip()):
        raise CLIError(f"--rule {spec!r}: write NAME:ACTION:CONDITION, e.g. "
                       "'review_big_new_device:review:amount > 5000 and score >= 0.3'")
    return {"name": name.strip(), "action": action.strip(), "condition": condition.strip()}


def _parse_list(spec: str) -> tuple[str, frozenset[str]]:
    name, sep, values = spec.partition("=")
    if not sep or not name:
        raise CLIError(f"--list {spec!r}: write NAME=value1,value2 (the rule reads it as @NAME)")
    return name.strip(), frozenset(v.strip() for v in values.split(",") if v.strip())


@app.command("backtest")
def backtest_cmd(
    rule: list[str] = typer.Option([], "--rule", help="Candidate rule NAME:ACTION:CONDITION (repeatable); "
                                   "ACTION is allow, block, step_up or review."),
    value_list: list[str] = typer.Option([], "--list", help="Ad-hoc value list NAME=v1,v2 (repeatable)."),
    stored: bool = typer.Option(True, "--stored/--no-stored",
                                help="Also run the enabled rules and the value lists stored in the API database."),
    score: str = typer.Option("auto", help="Model scores for history: auto, champion, recorded or none."),
    since: str | None = typer.Option(None, help="First day (YYYY-MM-DD) of history to replay."),
    until: str | None = typer.Option(None, help="Last day (YYYY-MM-DD) of history to replay."),
    out: Path | None = typer.Option(None, help="JSON report (default <data_dir>/reports/fraud_backtest.json)."),
    plot: bool = typer.Option(True, help="Also write a PNG next to the JSON."),
) -> None:
    """What the rules would have done to past payments: frauds caught, good blocked, reviews/day, cost."""
    from apps_api.errors import ApiError
    from apps_api.services.fraud_backtest import run_backtest
    from suuupra.settings import get_settings

    if score not in ("auto", "champion", "recorded", "none"):
        raise CLIError("--score must be auto, champion, recorded or none")
    try:
        first = date.fromisoformat(since) if since else None
        last = date.fromisoformat(until) if until else None
    except ValueError as exc:
        raise CLIError(f"--since/--until take YYYY-MM-DD dates ({exc})") from None
    settings = get_settings()
    console = Console()
    db = _database(settings, console) if stored else None
    try:
        report = run_backtest(db, settings, [_parse_rule(r) for r in rule], include_enabled=stored, score=score,
                              since=first, until=last, extra_lists=dict(_parse_list(v) for v in value_list))
    except ApiError as exc:
        raise CLIError(exc.detail) from None
    finally:
        if db is not None:
            db.dispose()
    _print(console, report)
    target = out or settings.data_dir / "reports" / "fraud_backtest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=2, default=str))
    console.print(f"written: {target}")
    if plot:
        from models.fraud_rules.plot import backtest_png

        png = target.with_suffix(".png")
        png.write_bytes(backtest_png(report))
        console.print(f"plot: {png}")


def _database(settings, console: Console):
    from apps_api.db import Database
    from apps_api.migrate import MigrationStateError, assert_at_head

    if not settings.database_url:
        return None
    db = Database(settings.database_url)
    try:
        assert_at_head(db.engine)
    except (MigrationStateError, Exception) as exc:  # no API database yet: candidates only
        console.print(f"[yellow]stored rules skipped: {exc}[/yellow]")
        db.dispose()
        return None
    return db


def _print(console: Console, report: dict) -> None:
    w = report["window"]
    console.print(f"history {w['from']} .. {w['to']} ({w['days']} days), scores: {report['score_source']}")
    table = Table(title="Backtest: model only vs with the rules")
    table.add_column("")
    for col in ("payments", "frauds caught", "good blocked", "good stepped up", "good reviewed", "reviews/day",
                "expected cost"):
        table.add_column(col, justify="right")
    for label, key in (("model only", "model_only"), ("with rules", "with_rules")):
        o = report[key]
        table.add_row(label, f"{o['payments']:,}", f"{o['frauds_caught']:,} / {o['frauds']:,}",
                      f"{o['good_blocked']:,}", f"{o['good_stepped_up']:,}", f"{o['good_reviewed']:,}",
                      f"{o['review_per_day']['mean']:.1f}", f"{o['expected_cost']:,.0f}")
    console.print(table)
    rules = Table(title="Per rule")
    for col in ("rule", "action", "matched", "decided", "frauds matched", "precision"):
        rules.add_column(col)
    for r in report["rules"]:
        prec = "-" if r["matched_precision"] is None else f"{r['matched_precision']:.2f}"
        rules.add_row(r["rule"], r["action"], f"{r['matched']:,}", f"{r['decided']:,}", f"{r['matched_frauds']:,}",
                      prec)
    console.print(rules)
