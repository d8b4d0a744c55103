"""Rules with actions, evaluated after the model: what a payment's final decision is, and why.

Each rule pairs a condition (:mod:`models.fraud_rules.language`) with an action:

* ``allow`` — approve even if the model or another rule would hold it (trusted learners);
* ``block`` — decline;
* ``step_up`` — ask the learner to re-authenticate before capture (3-D Secure, OTP);
* ``review`` — hold for an analyst.

Precedence follows Stripe Radar's: a matching allow rule wins over everything; otherwise
the strictest of the matched rules' actions (block > step_up > review) and the model's own
decision applies. Rules therefore only tighten the model's decision, except allow rules,
which are the explicit, audited way to loosen it. When a rule decides, the outcome names
it (that name goes into the API response and the payment record); when the model's own
decision is at least as strict, the model decided and the matched rules are listed only.

The same compiled rule set decides one payment in the scoring path (:meth:`RuleSet.decide`)
and a whole history in a backtest (:meth:`RuleSet.decide_many`), so what a backtest
reports is what the live path does.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np

from models.fraud_rules.language import Condition, RuleSyntaxError, parse_condition

Action = Literal["allow", "block", "step_up", "review"]
Decision = Literal["approve", "review", "step_up", "decline"]
ACTIONS: tuple[Action, ...] = ("allow", "block", "step_up", "review")
ACTION_DECISION: dict[str, Decision] = {"allow": "approve", "block": "decline", "step_up": "step_up",
                                        "review": "review"}
SEVERITY: dict[str, int] = {"approve": 0, "review": 1, "step_up": 2, "decline": 3}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Rule:
    """One named rule; build it with :meth:`Rule.parse`, which validates every part."""

    name: str
    condition: Condition
    action: Action
    reason: str = ""
    enabled: bool = True

    @classmethod
    def parse(cls, name: str, condition: str, action: str, reason: str = "", enabled: bool = True) -> Rule:
        if not isinstance(name, str) or not _NAME.match(name):
            raise RuleSyntaxError(f"rule name {name!r} must be lower_snake_case, 1-64 characters, "
                                  "starting with a letter (e.g. block_high_risk_new_device)")
        if action not in ACTIONS:
            raise RuleSyntaxError(f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}")
        return cls(name=name, condition=parse_condition(condition), action=action,  # type: ignore[arg-type]
                   reason=reason or name, enabled=enabled)


@dataclass(frozen=True)
class RuleOutcome:
    """The decision for one payment after the rules."""

    decision: Decision
    rule: str | None = None  # the rule that decided; None when the model's decision stood
    action: Action | None = None
    reason: str | None = None
    matched: tuple[str, ...] = field(default_factory=tuple)


def payment_facts(*, amount_minor: int, currency: str, method: str, device_id: str, ip: str, country: str,
                  learner_id: str, occurred_at: datetime, score: float | None, model_decision: str,
                  scorer_fallback: bool, instrument: str = "") -> dict[str, Any]:
    """The facts of one payment, named as rules read them (see ``language.FACTS``)."""
    return {"score": float("nan") if score is None else float(score), "amount": amount_minor / 100.0,
            "amount_minor": float(amount_minor), "hour": float(occurred_at.hour), "currency": currency,
            "method": method, "device_id": device_id, "ip": ip, "country": country, "learner_id": learner_id,
            "instrument": instrument,
            "model_decision": model_decision, "scorer_fallback": bool(scorer_fallback)}


class RuleSet:
    """Enabled rules in precedence order plus the value lists they read."""

    def __init__(self, rules: Iterable[Rule], lists: Mapping[str, Container[str]] | None = None) -> None:
        # sets are frozen; other containers (a database-backed list) are used as given
        self.lists: dict[str, Container[str]] = {
            k: frozenset(v) if isinstance(v, (set, list, tuple)) else v for k, v in (lists or {}).items()}
        enabled = [r for r in rules if r.enabled]
        missing = sorted({n for r in enabled for n in r.condition.lists} - set(self.lists))
        if missing:
            raise RuleSyntaxError(f"rules read value lists that do not exist: "
                                  f"{', '.join('@' + n for n in missing)}; create them first")
        names = [r.name for r in enabled]
        if len(set(names)) != len(names):
            raise RuleSyntaxError("rule names must be unique")
        # allow first, then by severity of the action; ties keep the caller's order
        self.rules: list[Rule] = sorted(enabled, key=lambda r: ACTIONS.index(r.action))

    def __len__(self) -> int:
        return len(self.rules)

    def decide(self, facts: Mapping[str, Any]) -> RuleOutcome:
        """Final decision for one payment whose model decision is ``facts['model_decision']``."""
        matched = [r for r in self.rules if bool(r.condition(facts, self.lists))]
        names = tuple(r.name for r in matched)
        model: Decision = facts["model_decision"]
        allow = next((r for r in matched if r.action == "allow"), None)
        if allow is not None:
            return RuleOutcome("approve", allow.name, allow.action, allow.reason, names)
        strict = max(matched, key=lambda r: SEVERITY[ACTION_DECISION[r.action]], default=None)
        if strict is None or SEVERITY[ACTION_DECISION[strict.action]] < SEVERITY[model]:
            return RuleOutcome(model, None, None, None, names)
        return RuleOutcome(ACTION_DECISION[strict.action], strict.name, strict.action, strict.reason, names)

    def matches(self, facts: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Rule name -> which payments of a history its condition matches (a bool array each)."""
        n = len(facts["model_decision"])
        return {r.name: np.broadcast_to(np.asarray(r.condition(facts, self.lists), dtype=bool), (n,))
                for r in self.rules}

    def decide_many(self, facts: Mapping[str, np.ndarray],
                    hits: Mapping[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(decision, deciding rule or "") arrays for a history of payments, same precedence as
        :meth:`decide`; ``hits`` is :meth:`matches` when the caller has it already."""
        hits = self.matches(facts) if hits is None else hits
        model = np.asarray(facts["model_decision"], dtype=object)
        n = len(model)
        decision, rule = model.copy(), np.full(n, "", dtype=object)
        severity = np.vectorize(SEVERITY.__getitem__, otypes=[int])(model) if n else np.zeros(0, dtype=int)
        allowed = np.zeros(n, dtype=bool)
        # strictest first within the non-allow rules, so the first match of the top action names it
        ordered = [r for r in self.rules if r.action == "allow"] + sorted(
            (r for r in self.rules if r.action != "allow"),
            key=lambda r: -SEVERITY[ACTION_DECISION[r.action]])
        for r in ordered:
            hit = hits[r.name]
            if r.action == "allow":
                take = hit & ~allowed
                allowed |= hit
                decision[take], rule[take] = "approve", r.name
                continue
            level = SEVERITY[ACTION_DECISION[r.action]]
            take = hit & ~allowed & (rule == "") & (severity <= level)
            decision[take], rule[take] = ACTION_DECISION[r.action], r.name
        return decision, rule


def rule_set_from_rows(rows: Sequence[Mapping[str, Any]], lists: Mapping[str, Container[str]]) -> RuleSet:
    """A :class:`RuleSet` from stored rows (``name``, ``condition``, ``action``, ``reason``, ``enabled``)."""
    return RuleSet([Rule.parse(r["name"], r["condition"], r["action"], r.get("reason", ""),
                               bool(r.get("enabled", True))) for r in rows], lists)
