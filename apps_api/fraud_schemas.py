"""Request and response bodies of the fraud operations admin API (rules, lists, backtests, reviews)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from apps_api.contract import Raw, Text
from apps_api.schemas import Out, PaymentOut, Strict

RuleName = Raw(64, min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
Condition = Text(2000, min_length=1)
Reason = Text(200)
Action = Literal["allow", "block", "step_up", "review"]
ListValue = Raw(200, min_length=1)


class FraudRuleIn(Strict):
    name: RuleName  # type: ignore[valid-type]
    condition: Condition  # type: ignore[valid-type]
    action: Action
    reason: Reason = ""  # type: ignore[valid-type]
    # new rules start disabled: backtest them, then enable with PATCH {"enabled": true}
    enabled: bool = False


class FraudRulePatch(Strict):
    condition: Condition | None = None  # type: ignore[valid-type]
    action: Action | None = None
    reason: Reason | None = None  # type: ignore[valid-type]
    enabled: bool | None = None


class FraudRuleOut(Out):
    id: str
    name: str
    condition: str
    action: Action
    reason: str
    enabled: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class ValueListIn(Strict):
    name: RuleName  # type: ignore[valid-type]
    description: Reason = ""  # type: ignore[valid-type]
    values: list[ListValue] = Field(default_factory=list, max_length=10_000)  # type: ignore[valid-type]


class ValueListItemsIn(Strict):
    values: list[ListValue] = Field(min_length=1, max_length=10_000)  # type: ignore[valid-type]


class ValueListOut(BaseModel):
    name: str
    description: str
    created_at: datetime
    size: int
    values: list[str] = []  # the first 1,000, sorted


class ItemsAdded(BaseModel):
    added: int
    size: int


class BacktestCostsIn(Strict):
    review: float = Field(default=5.0, ge=0)
    false_decline: float = Field(default=20.0, ge=0)
    step_up: float = Field(default=1.0, ge=0)


class BacktestIn(Strict):
    """Candidate rules (not saved) and whether the stored enabled rules run beside them."""

    rules: list[FraudRuleIn] = Field(default_factory=list, max_length=50)
    rule_names: list[RuleName] = Field(default_factory=list, max_length=50)  # type: ignore[valid-type]
    include_enabled: bool = True
    since: date | None = None
    until: date | None = None
    score: Literal["auto", "champion", "recorded", "none"] = "recorded"
    costs: BacktestCostsIn = Field(default_factory=BacktestCostsIn)


class BacktestOutcome(BaseModel):
    payments: int
    frauds: int
    frauds_caught: int
    frauds_caught_rate: float
    frauds_missed_amount: float
    good_blocked: int
    good_stepped_up: int
    good_reviewed: int
    decisions: dict[str, int]
    review_per_day: dict[str, float]
    expected_cost: float


class BacktestOut(BaseModel):
    window: dict[str, Any]
    scored: bool
    score_source: str
    costs: dict[str, float]
    model_only: BacktestOutcome
    with_rules: BacktestOutcome
    delta: dict[str, float]
    rules: list[dict[str, Any]]
    review_by_day: list[dict[str, Any]]


class ReviewCaseOut(BaseModel):
    payment: PaymentOut
    age_s: float
    claimed_by: str | None
    claimed_at: datetime | None


class ReviewQueueStats(BaseModel):
    open: int
    claimed: int
    oldest_age_s: float


class ReviewQueueOut(BaseModel):
    items: list[ReviewCaseOut]
    total: int
    stats: ReviewQueueStats

