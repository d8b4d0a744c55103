"""What a rule set would have done to labelled past payments, before it goes live.

A backtest replays history through :meth:`RuleSet.decide_many` (the same precedence as
the live path) and counts, against the fraud labels: frauds caught (declined, stepped up or
sent to review), good payments blocked, stepped up or reviewed, the review volume per day
and the expected cost under :class:`BacktestCosts`. It always reports the model alone
(no rules) beside the candidate so the rule's own effect is the difference, and per rule
how many payments it matched and decided and the fraud share of its matches (its
precision on history).

The input is a frame of payments with the columns of the ``payments_labeled`` lake table
(``payment_id``, ``learner_id``, ``amount_minor``, ``currency``, ``method``, ``device_id``,
``ip``, ``country``, ``event_timestamp``, ``is_fraud``) plus, optionally, ``score`` (the
model's fraud probability) and ``model_decision``; without them every payment scores NaN
and the model approves, so only rules that do not read the score act. pandas is plenty for
the history one machine holds; the frame can come from Spark's ``toPandas`` of a filtered
table for more.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.fraud_rules.ruleset import ACTION_DECISION, RuleSet

REQUIRED = ("payment_id", "learner_id", "amount_minor", "currency", "method", "device_id", "ip", "country",
            "event_timestamp", "is_fraud")
_TEXT = ("currency", "method", "device_id", "ip", "country", "learner_id")


@dataclass(frozen=True)
class BacktestCosts:
    """Costs in currency major units. A missed fraud loses its amount; reviewed or stepped-up
    fraud is assumed stopped (the analyst declines it, the fraudster cannot pass the challenge)."""

    review: float = 5.0  # analyst time per reviewed payment
    false_decline: float = 20.0  # lost margin and churn risk of declining a good learner
    step_up: float = 1.0  # friction of a challenge on a good learner (some abandon)


class BacktestInputError(ValueError):
    """The history lacks columns a backtest needs."""


def history_facts(history: pd.DataFrame) -> dict[str, np.ndarray]:
    """Rule facts as arrays, one element per payment of ``history``."""
    missing = [c for c in REQUIRED if c not in history.columns]
    if missing:
        raise BacktestInputError(f"payment history lacks columns {missing}; pass the payments_labeled table")
    ts = pd.to_datetime(history["event_timestamp"], utc=True)
    n = len(history)
    score = history["score"].to_numpy(dtype=float) if "score" in history else np.full(n, np.nan)
    model = (history["model_decision"].astype(str).to_numpy(dtype=object) if "model_decision" in history
             else np.full(n, "approve", dtype=object))
    facts: dict[str, np.ndarray] = {c: history[c].astype(str).to_numpy(dtype=str) for c in _TEXT}
    facts["instrument"] = (history["instrument"].astype(str).to_numpy(dtype=str) if "instrument" in history
                           else np.full(n, "", dtype=str))
    amount_minor = history["amount_minor"].to_numpy(dtype=float)
    facts.update(score=score, amount_minor=amount_minor, amount=amount_minor / 100.0,
                 hour=ts.dt.hour.to_numpy(dtype=float), model_decision=model,
                 scorer_fallback=(history["scorer_fallback"].to_numpy(dtype=bool) if "scorer_fallback" in history
                                  else np.zeros(n, dtype=bool)))
    return facts


def _outcome(decision: np.ndarray, y: np.ndarray, amount: np.ndarray, days: np.ndarray,
             costs: BacktestCosts) -> dict[str, Any]:
    fraud, good = y == 1, y == 0
    stopped = decision != "approve"
    reviewed = decision == "review"
    per_day = pd.Series(reviewed.astype(int)).groupby(days).sum()
    missed = float(amount[fraud & ~stopped].sum())
    cost = (missed + costs.review * reviewed.sum() + costs.false_decline * (good & (decision == "decline")).sum()
            + costs.step_up * (good & (decision == "step_up")).sum())
    return {
        "payments": int(len(y)),
        "frauds": int(fraud.sum()),
        "frauds_caught": int((fraud & stopped).sum()),
        "frauds_caught_rate": float((fraud & stopped).sum() / max(fraud.sum(), 1)),
        "frauds_missed_amount": missed,
        "good_blocked": int((good & (decision == "decline")).sum()),
        "good_stepped_up": int((good & (decision == "step_up")).sum()),
        "good_reviewed": int((good & reviewed).sum()),
        "decisions": {d: int((decision == d).sum()) for d in ("approve", "review", "step_up", "decline")},
        "review_per_day": {"mean": float(per_day.mean()) if len(per_day) else 0.0,
                           "max": int(per_day.max()) if len(per_day) else 0},
        "expected_cost": float(cost),
    }


def backtest(history: pd.DataFrame, rules: RuleSet, costs: BacktestCosts | None = None) -> dict[str, Any]:
    """Backtest ``rules`` over ``history``; a JSON-ready report (see the module docstring)."""
    c = costs or BacktestCosts()
    facts = history_facts(history)
    y = history["is_fraud"].to_numpy(dtype=int)
    amount = facts["amount"]
    ts = pd.to_datetime(history["event_timestamp"], utc=True)
    days = ts.dt.date.astype(str).to_numpy()
    hits = rules.matches(facts)
    decision, deciding = rules.decide_many(facts, hits)
    per_rule = []
    for r in rules.rules:
        hit = hits[r.name]
        decided = deciding == r.name
        per_rule.append({
            "rule": r.name, "action": r.action, "condition": r.condition.source,
            "matched": int(hit.sum()), "decided": int(decided.sum()),
            "matched_frauds": int((hit & (y == 1)).sum()),
            "matched_precision": float(y[hit].mean()) if hit.any() else None,
            "decided_as": ACTION_DECISION[r.action],
        })
    model_only = _outcome(facts["model_decision"], y, amount, days, c)
    with_rules = _outcome(decision, y, amount, days, c)
    per_day = (pd.DataFrame({"day": days, "review": decision == "review", "rules_review": (decision == "review")
                             & (deciding != "")}).groupby("day").sum())
    return {
        "window": {"from": ts.min().isoformat() if len(ts) else None, "to": ts.max().isoformat() if len(ts) else None,
                   "days": int(len(per_day))},
        "scored": bool(np.isfinite(facts["score"]).any()),
        "costs": asdict(c),
        "model_only": model_only,
        "with_rules": with_rules,
        "delta": {k: with_rules[k] - model_only[k] for k in
                  ("frauds_caught", "good_blocked", "good_stepped_up", "good_reviewed", "expected_cost")},
        "rules": per_rule,
        "review_by_day": [{"day": d, "review": int(row.review), "from_rules": int(row.rules_review)}
                          for d, row in per_day.iterrows()],
    }
