"""Fraud rules and value lists in the database, and their application after the model.

Rules are parsed on every write (a malformed rule is a 422 naming what to fix, never a
stored rule that fails later) and again when a payment is scored. Value-list membership is
looked up in the database at decision time, one indexed query per list a matched rule
reads, so adding a device to ``@blocked_devices`` takes effect on the very next payment
in every API process, and a list of a million IPs is never loaded into memory.

A rule that cannot be applied (the database failed mid-payment) does not take the
payment down: the model's decision stands and the failure is logged as an error.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from apps_api.db import new_id, utcnow
from apps_api.errors import ApiError
from apps_api.fraud import FraudDecision, FraudRequest
from apps_api.models import FraudRule, ValueList, ValueListItem
from models.fraud_rules import Rule, RuleOutcome, RuleSet, RuleSyntaxError, parse_condition, payment_facts

log = logging.getLogger("apps_api.fraud_rules")


class _StoredList:
    """A value list whose ``in`` asks the database (exact and current, never loaded whole)."""

    def __init__(self, session: Session, list_id: str) -> None:
        self.session, self.list_id = session, list_id

    def __contains__(self, value: object) -> bool:
        return self.session.scalar(select(ValueListItem.id).where(
            ValueListItem.list_id == self.list_id, ValueListItem.value == str(value)).limit(1)) is not None


def _list_ids(session: Session) -> dict[str, str]:
    return {name: lid for lid, name in session.execute(select(ValueList.id, ValueList.name))}


def live_rule_set(session: Session) -> RuleSet:
    """The enabled rules with database-backed value lists (for one payment decision)."""
    lists = {name: _StoredList(session, lid) for name, lid in _list_ids(session).items()}
    rules = []
    for row in session.scalars(select(FraudRule).where(FraudRule.enabled.is_(True)).order_by(FraudRule.created_at)):
        try:
            rules.append(Rule.parse(row.name, row.condition, row.action, row.reason))
        except RuleSyntaxError as exc:  # stored before a language change: skip it, loudly
            log.error("stored fraud rule no longer parses; skipping it", extra={"rule": row.name, "error": str(exc)})
    return RuleSet([r for r in rules if r.condition.lists <= set(lists)], lists)


def apply_rules(session: Session, request: FraudRequest, model: FraudDecision, instrument: str = "") -> FraudDecision:
    """The final decision: ``model``'s, unless an enabled rule decides (see ``models.fraud_rules``)."""
    try:
        rules = live_rule_set(session)
        if not len(rules):
            return model
        outcome: RuleOutcome = rules.decide(payment_facts(
            amount_minor=request.amount_minor, currency=request.currency, method=request.method,
            device_id=request.device_id, ip=request.ip, country=request.country, learner_id=request.learner_id,
            occurred_at=request.occurred_at, score=model.probability, model_decision=model.decision,
            scorer_fallback=model.fallback, instrument=instrument))
    except SQLAlchemyError:
        log.exception("fraud rules could not be applied; the model's decision stands")
        return model
    if outcome.rule is None:
        return model
    return replace(model, decision=outcome.decision, rule=outcome.rule, rule_action=outcome.action,
                   reasons=[*model.reasons, f"rule:{outcome.rule}:{outcome.reason}"])


# ------------------------------------------------------------------ rules CRUD
def _add_unique(session: Session, row: FraudRule | ValueList, conflict: str) -> None:
    """Insert ``row`` now; its unique name already taken is a 409 saying ``conflict``."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise ApiError(409, conflict) from None


def _checked(session: Session, name: str, condition: str, action: str, reason: str) -> Rule:
    try:
        rule = Rule.parse(name, condition, action, reason)
    except RuleSyntaxError as exc:
        raise ApiError(422, f"rule {name!r} is not valid: {exc}") from None
    missing = sorted(rule.condition.lists - set(_list_ids(session)))
    if missing:
        raise ApiError(422, f"rule {name!r} reads value lists that do not exist: "
                            f"{', '.join('@' + m for m in missing)}; create them with POST /admin/fraud/lists")
    return rule


def create_rule(session: Session, actor_id: str, *, name: str, condition: str, action: str, reason: str,
                enabled: bool) -> FraudRule:
    rule = _checked(session, name, condition, action, reason)
    row = FraudRule(id=new_id("frl"), name=rule.name, condition=rule.condition.source, action=rule.action,
                    reason=rule.reason, enabled=enabled, created_by=actor_id)
    _add_unique(session, row, f"a rule named {name!r} already exists; update it with PATCH")
    return row


def get_rule(session: Session, name: str) -> FraudRule:
    row = session.scalar(select(FraudRule).where(FraudRule.name == name))
    if row is None:
        raise ApiError(404, f"fraud rule {name!r} not found")
    return row


def update_rule(session: Session, name: str, changes: dict[str, object]) -> FraudRule:
    row = get_rule(session, name)
    condition = str(changes.get("condition", row.condition))
    action = str(changes.get("action", row.action))
    reason = str(changes.get("reason", row.reason))
    rule = _checked(session, row.name, condition, action, reason)
    row.condition, row.action, row.reason = rule.condition.source, rule.action, rule.reason
    if "enabled" in changes:
        row.enabled = bool(changes["enabled"])
    row.updated_at = utcnow()
    return row


def delete_rule(session: Session, name: str) -> None:
    session.delete(get_rule(session, name))


# ------------------------------------------------------------------ value lists
def create_list(session: Session, actor_id: str, name: str, description: str) -> ValueList:
    try:
        parse_condition(f"ip in @{name}")  # the same name rules will use
    except RuleSyntaxError:
        raise ApiError(422, f"list name {name!r} must be lower_snake_case (letters, digits, _)") from None
    row = ValueList(id=new_id("vl"), name=name, description=description, created_by=actor_id)
    _add_unique(session, row, f"a value list named {name!r} already exists")
    return row


def get_list(session: Session, name: str) -> ValueList:
    row = session.scalar(select(ValueList).where(ValueList.name == name))
    if row is None:
        raise ApiError(404, f"value list @{name} not found")
    return row


def list_size(session: Session, vl: ValueList) -> int:
    return int(session.scalar(select(func.count()).select_from(ValueListItem)
                              .where(ValueListItem.list_id == vl.id)) or 0)


def list_items(session: Session, vl: ValueList, limit: int = 1000) -> list[ValueListItem]:
    return list(session.scalars(select(ValueListItem).where(ValueListItem.list_id == vl.id)
                                .order_by(ValueListItem.value).limit(limit)))


def add_items(session: Session, actor_id: str, name: str, values: list[str]) -> int:
    """Add ``values`` (already present ones are kept once); returns how many were new."""
    vl = get_list(session, name)
    have = set(session.scalars(select(ValueListItem.value).where(ValueListItem.list_id == vl.id,
                                                                 ValueListItem.value.in_(values))))
    new = sorted(set(values) - have)
    session.add_all(ValueListItem(id=new_id("vli"), list_id=vl.id, value=v, created_by=actor_id) for v in new)
    return len(new)


def remove_item(session: Session, name: str, value: str) -> None:
    vl = get_list(session, name)
    gone = session.execute(delete(ValueListItem).where(ValueListItem.list_id == vl.id,
                                                       ValueListItem.value == value)).rowcount
    if not gone:
        raise ApiError(404, f"{value!r} is not in @{name}")


def delete_list(session: Session, name: str) -> None:
    vl = get_list(session, name)
    users = [r.name for r in session.scalars(select(FraudRule)) if f"@{name}" in r.condition
             and name in parse_condition(r.condition).lists]
    if users:
        raise ApiError(409, f"@{name} is read by rules {', '.join(users)}; change or delete them first")
    session.execute(delete(ValueListItem).where(ValueListItem.list_id == vl.id))
    session.delete(vl)


def all_lists(session: Session) -> dict[str, frozenset[str]]:
    """Every value list in full (for backtests, which evaluate whole arrays at once)."""
    ids = _list_ids(session)
    out: dict[str, set[str]] = {name: set() for name in ids}
    by_id = {lid: name for name, lid in ids.items()}
    for lid, value in session.execute(select(ValueListItem.list_id, ValueListItem.value)):
        out[by_id[lid]].add(value)
    return {k: frozenset(v) for k, v in out.items()}
