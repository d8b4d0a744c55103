"""The rule language, rule precedence and backtests, on fixtures small enough to count by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from models.fraud_rules import Rule, RuleSet, RuleSyntaxError, parse_condition, payment_facts
from models.fraud_rules.backtest import BacktestCosts, backtest, history_facts


def facts(**over):
    base = dict(amount_minor=250_000, currency="INR", method="card", device_id="dev-1", ip="10.0.0.1",
                country="IN", learner_id="usr_1", occurred_at=datetime(2026, 3, 1, 2, 30, tzinfo=UTC),
                score=0.42, model_decision="approve", scorer_fallback=False)
    base.update(over)
    return payment_facts(**base)


@pytest.mark.parametrize(("source", "expected"), [
    ("score >= 0.4 and amount > 2000", True),
    ("score >= 0.5 or amount > 2499", True),
    ("not (score >= 0.4)", False),
    ("device_id in @blocked", True),
    ("device_id not in @blocked", False),
    ("country in ['US', 'GB'] or method == 'upi'", False),
    ("hour < 6 and country == 'IN'", True),
    ("amount_minor / 100 == amount", True),
    ("scorer_fallback == false and model_decision == 'approve'", True),
    ("-score < 0", True),
])
def test_conditions_evaluate_on_one_payment_and_on_arrays_alike(source, expected):
    lists = {"blocked": frozenset({"dev-1"})}
    cond = parse_condition(source)
    assert bool(cond(facts(), lists)) is expected
    arrays = {k: np.array([v, v, v]) for k, v in facts().items()}
    assert np.asarray(cond(arrays, lists)).tolist() == [expected] * 3


def test_a_missing_score_never_fires_a_score_rule():
    cond = parse_condition("score >= 0.0 or score < 0.0")
    assert not cond(facts(score=None), {})


@pytest.mark.parametrize(("source", "says"), [
    ("score >=", "expected a fact"),
    ("amount > 'x'", "cannot compare number with text"),
    ("colour == 'red'", "unknown fact 'colour'"),
    ("score", "must be true or false"),
    ("amount in @big", "'in' tests text facts"),
    ("__import__('os').system('id')", "unexpected character"),
    ("__import__('os')", "unknown fact '__import__'"),
    ("device_id.startswith('x')", "unexpected character"),
    ("country < 'IN'", "orders numbers"),
    ("score >= 0.5 0.6", "'and', 'or' or the end"),
    ("", "needs a condition"),
    ("(" * 300 + "score > 1" + ")" * 300, "nests at most"),
    ("not " * 300 + "score > 1", "nests at most"),
    ("- " * 300 + "score > 1", "nests at most"),
])
def test_malformed_conditions_are_refused_with_the_fix(source, says):
    with pytest.raises(RuleSyntaxError, match=says):
        parse_condition(source)


def test_rules_need_existing_lists_and_valid_names_and_actions():
    with pytest.raises(RuleSyntaxError, match="@nope"):
        RuleSet([Rule.parse("r", "ip in @nope", "block")], {})
    with pytest.raises(RuleSyntaxError, match="lower_snake_case"):
        Rule.parse("Block Me", "score > 0.9", "block")
    with pytest.raises(RuleSyntaxError, match="unknown action"):
        Rule.parse("r", "score > 0.9", "delete")


def test_precedence_allow_then_strictest_and_never_looser_than_the_model():
    rules = RuleSet([
        Rule.parse("review_big", "amount > 1000", "review"),
        Rule.parse("block_listed", "device_id in @blocked", "block"),
        Rule.parse("trust_staff", "learner_id in @trusted", "allow"),
        Rule.parse("step_up_night", "hour < 6", "step_up"),
    ], {"blocked": {"dev-1"}, "trusted": {"usr_staff"}})
    out = rules.decide(facts())
    assert (out.decision, out.rule, out.action) == ("decline", "block_listed", "block")
    assert set(out.matched) == {"review_big", "block_listed", "step_up_night"}
    assert rules.decide(facts(learner_id="usr_staff")).rule == "trust_staff"
    assert rules.decide(facts(device_id="dev-2")).decision == "step_up"
    # the model declined; a review rule cannot loosen that, so the model decided
    out = rules.decide(facts(device_id="dev-2", occurred_at=datetime(2026, 3, 1, 12, tzinfo=UTC),
                             model_decision="decline"))
    assert (out.decision, out.rule) == ("decline", None) and out.matched == ("review_big",)


def test_scalar_and_history_paths_decide_identically():
    rng = np.random.default_rng(7)
    n = 400
    history = pd.DataFrame({
        "payment_id": [f"p{i}" for i in range(n)], "learner_id": rng.choice(["a", "b", "staff"], n),
        "amount_minor": rng.integers(100, 900_000, n), "currency": "INR",
        "method": rng.choice(["card", "upi", "wallet"], n), "device_id": rng.choice(["d1", "d2", "d3"], n),
        "ip": "10.0.0.1", "country": rng.choice(["IN", "US"], n),
        "event_timestamp": pd.Timestamp("2026-03-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 86400 * 5, n), "s"),
        "is_fraud": rng.integers(0, 2, n), "score": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
        "model_decision": rng.choice(["approve", "review", "decline"], n, p=[0.8, 0.15, 0.05]),
    })
    rules = RuleSet([
        Rule.parse("trust", "learner_id in @trusted", "allow"),
        Rule.parse("block", "device_id in @bad and score > 0.3", "block"),
        Rule.parse("stepup", "country != 'IN' and amount > 3000", "step_up"),
        Rule.parse("review", "score >= 0.6 or method == 'wallet'", "review"),
    ], {"trusted": {"staff"}, "bad": {"d2"}})
    decisions, deciding = rules.decide_many(history_facts(history))
    arrays = history_facts(history)
    for i in range(n):
        one = rules.decide({k: v[i] for k, v in arrays.items()})
        assert (one.decision, one.rule or "") == (decisions[i], deciding[i]), i


def test_backtest_counts_equal_a_hand_count():
    # 8 payments over two days; the rule reviews amounts over 1,000 and blocks device d9
    history = pd.DataFrame({
        "payment_id": [f"p{i}" for i in range(8)],
        "learner_id": ["u"] * 8,
        "amount_minor": [50_000, 150_000, 200_000, 10_000, 300_000, 90_000, 120_000, 5_000],
        "currency": "INR", "method": "card",
        "device_id": ["d1", "d1", "d9", "d9", "d1", "d1", "d2", "d1"],
        "ip": "10.0.0.1", "country": "IN",
        "event_timestamp": pd.to_datetime(["2026-03-01T10:00Z"] * 4 + ["2026-03-02T10:00Z"] * 4),
        "is_fraud": [0, 1, 1, 0, 0, 0, 1, 1],
    })
    rules = RuleSet([Rule.parse("review_big", "amount > 1000", "review"),
                     Rule.parse("block_d9", "device_id in @bad_devices", "block")], {"bad_devices": {"d9"}})
    report = backtest(history, rules, BacktestCosts(review=5, false_decline=20, step_up=1))
    w = report["with_rules"]
    # by hand: p2, p3 blocked (d9); p1, p4, p6 reviewed (amount > 1000, not d9); the rest approved
    assert w["decisions"] == {"approve": 3, "review": 3, "step_up": 0, "decline": 2}
    assert (w["frauds"], w["frauds_caught"], w["good_blocked"], w["good_reviewed"]) == (4, 3, 1, 1)
    assert w["frauds_missed_amount"] == 50.0  # p7: 5,000 minor units
    assert w["expected_cost"] == 50.0 + 3 * 5 + 1 * 20
    assert report["review_by_day"] == [{"day": "2026-03-01", "review": 1, "from_rules": 1},
                                       {"day": "2026-03-02", "review": 2, "from_rules": 2}]
    assert w["review_per_day"] == {"mean": 1.5, "max": 2}
    by_rule = {r["rule"]: r for r in report["rules"]}
    assert (by_rule["review_big"]["matched"], by_rule["review_big"]["decided"]) == (4, 3)  # p2 was blocked
    assert (by_rule["block_d9"]["matched"], by_rule["block_d9"]["matched_frauds"]) == (2, 1)
    m = report["model_only"]
    assert m["frauds_caught"] == 0 and m["expected_cost"] == (1500 + 2000 + 1200 + 50)
    assert report["delta"]["frauds_caught"] == 3
