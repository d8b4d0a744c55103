"""Backtests requested through the admin API: candidate rules beside the stored ones.

The history is the ``payments_labeled`` lake table (pandas; see
``models.fraud_rules.backtest``); the rules are the request's candidates (parsed, never
saved), the stored rules named in ``rule_names`` (enabled or not) and, unless turned off,
every enabled stored rule, with every value list as stored now. A candidate with the name
of a stored rule replaces it, so "what if I change this rule" is one request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select

from apps_api.db import Database
from apps_api.errors import ApiError
from apps_api.fraud_schemas import BacktestIn
from apps_api.models import FraudRule
from apps_api.services import fraud_rules
from apps_api.state import AppState
from suuupra.settings import Settings


def run(state: AppState, body: BacktestIn) -> dict[str, Any]:
    """The admin API's backtest (see :func:`run_backtest`)."""
    return run_backtest(state.db, state.settings, [c.model_dump() for c in body.rules], body.rule_names,
                        include_enabled=body.include_enabled, score=body.score, since=body.since,
                        until=body.until, costs=body.costs.model_dump())


def run_backtest(db: Database | None, settings: Settings, candidates: list[dict[str, Any]],
                 rule_names: Sequence[str] = (), *, include_enabled: bool = True, score: str = "recorded",
                 since: date | None = None, until: date | None = None, costs: dict[str, float] | None = None,
                 extra_lists: dict[str, frozenset[str]] | None = None) -> dict[str, Any]:
    """Backtest candidate rules (dicts of name, condition, action, reason) beside stored ones.

    ``db`` None (no API database yet, e.g. a notebook) backtests the candidates alone
    with ``extra_lists`` as the value lists. Errors are :class:`ApiError` (4xx) whose
    detail says what to fix; the CLI shows the same text.
    """
    from models.fraud_rules import Rule, RuleSet, RuleSyntaxError
    from models.fraud_rules.backtest import BacktestCosts, backtest
    from models.fraud_rules.history import payment_history
    from models.platform import PlatformDataMissing

    lists: dict[str, frozenset[str]] = {}
    stored: dict[str, FraudRule] = {}
    if db is not None:
        with db.read_session() as s:
            lists = fraud_rules.all_lists(s)
            stored = {r.name: r for r in s.scalars(select(FraudRule))}
    lists.update(extra_lists or {})
    rules: dict[str, Rule] = {}
    missing = [n for n in rule_names if n not in stored]
    if missing:
        raise ApiError(404, f"no stored rules named {', '.join(missing)}")
    for name, row in stored.items():
        if (include_enabled and row.enabled) or name in rule_names:
            rules[name] = Rule.parse(row.name, row.condition, row.action, row.reason)
    for cand in candidates:
        try:
            rules[cand["name"]] = Rule.parse(cand["name"], cand["condition"], cand["action"],
                                             cand.get("reason", ""))
        except RuleSyntaxError as exc:
            raise ApiError(422, f"rule {cand['name']!r} is not valid: {exc}") from None
    try:
        rule_set = RuleSet(rules.values(), lists)
    except RuleSyntaxError as exc:
        raise ApiError(422, str(exc)) from None
    if not len(rule_set):
        raise ApiError(422, "nothing to backtest: pass candidate rules, rule_names, or enable a stored rule")
    try:
        history, source = payment_history(settings, score=score, since=since, until=until)  # type: ignore[arg-type]
    except PlatformDataMissing as exc:
        raise ApiError(409, f"no labelled payment history yet: {exc}") from None
    if history.empty:
        raise ApiError(409, "no labelled payments in the chosen window; widen since/until")
    report = backtest(history, rule_set, BacktestCosts(**(costs or {})))
    return {**report, "score_source": source}
