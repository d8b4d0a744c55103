"""Fraud operations for risk analysts: rules, value lists, backtests and the review queue.

The walk an analyst takes: create a value list and a rule (disabled), backtest it on the
labelled history, enable it, watch held payments arrive in the queue, claim one and decide
it with a note. Rules and lists need ``fraud:rules``; the queue needs ``payment:review``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from apps_api.db import utcnow
from apps_api.deps import Principal, ReadSessionDep, StateDep, require_permission
from apps_api.fraud_schemas import (
    BacktestIn,
    BacktestOut,
    FraudRuleIn,
    FraudRuleOut,
    FraudRulePatch,
    ItemsAdded,
    ReviewCaseOut,
    ReviewQueueOut,
    ReviewQueueStats,
    ValueListIn,
    ValueListItemsIn,
    ValueListOut,
)
from apps_api.models import FraudRule, ValueList
from apps_api.schemas import PaymentOut, ReviewIn
from apps_api.services import fraud_backtest, fraud_rules, payments, review_queue

router = APIRouter(prefix="/admin/fraud", tags=["fraud operations"])
RuleAdmin = Annotated[Principal, Depends(require_permission("fraud:rules"))]
Reviewer = Annotated[Principal, Depends(require_permission("payment:review"))]
Name = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
PaymentId = Annotated[str, Path(min_length=1, max_length=40)]


# ------------------------------------------------------------------ rules
@router.get("/rules", response_model=list[FraudRuleOut])
def list_rules(_user: RuleAdmin, session: ReadSessionDep) -> list[FraudRuleOut]:
    return [FraudRuleOut.model_validate(r) for r in session.scalars(select(FraudRule).order_by(FraudRule.name))]


@router.post("/rules", status_code=201, response_model=FraudRuleOut)
def create_rule(body: FraudRuleIn, user: RuleAdmin, state: StateDep) -> FraudRuleOut:
    """Parse, check and store a rule; a malformed one is a 422 saying what to fix."""
    with state.db.begin() as s:
        row = fraud_rules.create_rule(s, user.id, **body.model_dump())
        return FraudRuleOut.model_validate(row)


@router.get("/rules/{name}", response_model=FraudRuleOut)
def get_rule(name: Name, _user: RuleAdmin, session: ReadSessionDep) -> FraudRuleOut:
    return FraudRuleOut.model_validate(fraud_rules.get_rule(session, name))


@router.patch("/rules/{name}", response_model=FraudRuleOut)
def update_rule(name: Name, body: FraudRulePatch, _user: RuleAdmin, state: StateDep) -> FraudRuleOut:
    """Change a rule's condition, action or reason, or enable / disable it."""
    with state.db.begin() as s:
        row = fraud_rules.update_rule(s, name, body.model_dump(exclude_none=True))
        return FraudRuleOut.model_validate(row)


@router.delete("/rules/{name}", status_code=204)
def delete_rule(name: Name, _user: RuleAdmin, state: StateDep) -> None:
    with state.db.begin() as s:
        fraud_rules.delete_rule(s, name)


# ------------------------------------------------------------------ value lists
def _list_out(session, vl: ValueList) -> ValueListOut:
    return ValueListOut(name=vl.name, description=vl.description, created_at=vl.created_at,
                        size=fraud_rules.list_size(session, vl),
                        values=[i.value for i in fraud_rules.list_items(session, vl)])


@router.get("/lists", response_model=list[ValueListOut])
def list_lists(_user: RuleAdmin, session: ReadSessionDep) -> list[ValueListOut]:
    return [_list_out(session, vl) for vl in session.scalars(select(ValueList).order_by(ValueList.name))]


@router.post("/lists", status_code=201, response_model=ValueListOut)
def create_list(body: ValueListIn, user: RuleAdmin, state: StateDep) -> ValueListOut:
    with state.db.begin() as s:
        vl = fraud_rules.create_list(s, user.id, body.name, body.description)
        if body.values:
            fraud_rules.add_items(s, user.id, body.name, body.values)
        s.flush()
        return _list_out(s, vl)


@router.get("/lists/{name}", response_model=ValueListOut)
def get_list(name: Name, _user: RuleAdmin, session: ReadSessionDep) -> ValueListOut:
    return _list_out(session, fraud_rules.get_list(session, name))


@router.post("/lists/{name}/items", status_code=201, response_model=ItemsAdded)
def add_items(name: Name, body: ValueListItemsIn, user: RuleAdmin, state: StateDep) -> ItemsAdded:
    """Add values; effective for the next payment in every API process."""
    with state.db.begin() as s:
        added = fraud_rules.add_items(s, user.id, name, body.values)
        s.flush()
        return ItemsAdded(added=added, size=fraud_rules.list_size(s, fraud_rules.get_list(s, name)))


@router.delete("/lists/{name}/items/{value}", status_code=204)
def remove_item(name: Name, value: Annotated[str, Path(min_length=1, max_length=200)], _user: RuleAdmin,
                state: StateDep) -> None:
    with state.db.begin() as s:
        fraud_rules.remove_item(s, name, value)


@router.delete("/lists/{name}", status_code=204)
def delete_list(name: Name, _user: RuleAdmin, state: StateDep) -> None:
    with state.db.begin() as s:
        fraud_rules.delete_list(s, name)


# ------------------------------------------------------------------ backtest
@router.post("/backtest", response_model=BacktestOut)
async def backtest(body: BacktestIn, _user: RuleAdmin, state: StateDep) -> BacktestOut:
    """What the candidate rules (plus, by default, the enabled ones) would have done to the
    labelled payment history in the lake."""
    report = await run_in_threadpool(fraud_backtest.run, state, body)
    return BacktestOut.model_validate(report)


# ------------------------------------------------------------------ review queue
def _case(pay, now) -> ReviewCaseOut:
    return ReviewCaseOut(payment=PaymentOut.model_validate(pay), age_s=max((now - pay.created_at).total_seconds(), 0),
                         claimed_by=pay.review_claimed_by, claimed_at=pay.review_claimed_at)


@router.get("/reviews", response_model=ReviewQueueOut)
def review_list(_user: Reviewer, session: ReadSessionDep,
                sort: Literal["risk", "age"] = "risk",
                country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
                method: Literal["card", "upi", "wallet"] | None = None,
                rule: Annotated[str | None, Query(max_length=64)] = None,
                min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
                unclaimed: bool = False,
                limit: Annotated[int, Query(ge=1, le=200)] = 50,
                offset: Annotated[int, Query(ge=0, le=100_000)] = 0) -> ReviewQueueOut:
    """Payments held for review, riskiest (default) or oldest first."""
    rows, total = review_queue.open_cases(session, sort=sort, country=country, method=method, rule=rule,
                                          min_score=min_score, unclaimed_only=unclaimed, limit=limit,
                                          offset=offset)
    now = utcnow()
    return ReviewQueueOut(items=[_case(p, now) for p in rows], total=total,
                          stats=ReviewQueueStats(**review_queue.queue_stats(session, now)))


@router.get("/reviews/stats", response_model=ReviewQueueStats)
def review_stats(_user: Reviewer, session: ReadSessionDep) -> ReviewQueueStats:
    return ReviewQueueStats(**review_queue.queue_stats(session))


@router.post("/reviews/{payment_id}/claim", response_model=ReviewCaseOut)
def claim(payment_id: PaymentId, user: Reviewer, state: StateDep) -> ReviewCaseOut:
    """Take a case so no other analyst works it (the claim lapses after 30 minutes)."""
    with state.db.begin() as s:
        return _case(review_queue.claim(s, payment_id, user.id), utcnow())


@router.delete("/reviews/{payment_id}/claim", status_code=204)
def release(payment_id: PaymentId, user: Reviewer, state: StateDep) -> None:
    with state.db.begin() as s:
        review_queue.release(s, payment_id, user.id)


@router.post("/reviews/{payment_id}/decision", response_model=PaymentOut)
async def decide(payment_id: PaymentId, body: ReviewIn, user: Reviewer, state: StateDep) -> PaymentOut:
    """Approve (capture) or decline with a note; the decision is the payment's fraud label."""
    await run_in_threadpool(payments.review_payment, state, payment_id, body.decision, reviewer_id=user.id,
                            note=body.note)
    return PaymentOut.model_validate(payments.payment_view(state, payment_id))
