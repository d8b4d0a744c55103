"""Fraud rules: a safe condition language, rule sets with Radar-style precedence, backtests.

Public API::

    from models.fraud_rules import Rule, RuleSet, parse_condition, RuleSyntaxError
    rules = RuleSet([Rule.parse("block_listed_devices", "device_id in @blocked_devices", "block")],
                    {"blocked_devices": {"dev-123"}})
    rules.decide(payment_facts(...))          # RuleOutcome(decision, rule, action, reason, matched)

    from models.fraud_rules.backtest import backtest   # pandas; not imported here
    backtest(history, rules)                  # frauds caught, good blocked, reviews/day, cost

Only numpy is imported here, so the payment path (apps_api) can apply rules without
pulling in pandas or the model code.
"""

from models.fraud_rules.language import FACTS, Condition, RuleSyntaxError, parse_condition
from models.fraud_rules.ruleset import ACTIONS, Rule, RuleOutcome, RuleSet, payment_facts, rule_set_from_rows

__all__ = ["ACTIONS", "FACTS", "Condition", "Rule", "RuleOutcome", "RuleSet", "RuleSyntaxError",
           "parse_condition", "payment_facts", "rule_set_from_rows"]
