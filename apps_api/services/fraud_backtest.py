"""Backtests requested through the admin API: candidate rules beside the stored ones.

The history is the ``payments_labeled`` lake table (pandas; see
``models.fraud_rules.backtest``); the rules are the request's candidates (parsed, never
saved), the stored rules named in ``rule_names`` (enabled or not) and, unless turned off,
every enabled stored rule, with every value list as stored now. A candidate with the name
of a stored rule replaces it, so "what if I change this rule" is one request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from apps_api.errors import ApiError
from apps_api.fraud_schemas import BacktestIn
from apps_api.models import FraudRule
from apps_api.services import fraud_rules
from apps_api.state import AppState


def run(state: AppState, body: BacktestIn) -> dict[str, Any]:
    from models.fraud_rules import Rule, RuleSet, RuleSyntaxError
    from models.fraud_rules.backtest import BacktestCosts, backtest
    from models.fraud_rules.history import payment_history
    from models.platform import PlatformDataMissing

    with state.db.read_session() as s:
        lists = fraud_rules.all_lists(s)
        stored = {r.name: r for r in s.scalars(select(FraudRule))}
    rules: dict[str, Rule] = {}
    missing = [n for n in body.rule_names if n not in stored]
    if missing:
        raise ApiError(404, f"no stored rules named {', '.join(missing)}")
    for name, row in stored.items():
        if (body.include_enabled and row.enabled) or name in body.rule_names:
            rules[name] = Rule.parse(row.name, row.condition, row.action, row.reason)
    for cand in body.rules:
        try:
            rules[cand.name] = Rule.parse(cand.name, cand.condition, cand.action, cand.reason)
        except RuleSyntaxError as exc:
            raise ApiError(422, f"rule {cand.name!r} is not valid: {exc}") from None
    try:
        rule_set = RuleSet(rules.values(), lists)
    except RuleSyntaxError as exc:
        raise ApiError(422, str(exc)) from None
    if not len(rule_set):
        raise ApiError(422, "nothing to backtest: pass candidate rules, rule_names, or enable a stored rule")
    try:
        history, source = payment_history(state.settings, score=body.score, since=body.since, until=body.until)
    except PlatformDataMissing as exc:
        raise ApiError(409, f"no labelled payment history yet: {exc}") from None
    if history.empty:
        raise ApiError(409, "no labelled payments in the chosen window; widen since/until")
    report = backtest(history, rule_set, BacktestCosts(**body.costs.model_dump()))
    return {**report, "score_source": source}
