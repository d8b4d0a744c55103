"""Request and response bodies. Money fields are integers in minor units."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from apps_api.contract import Count, Money, Raw, Text, UtcDatetime, reject_unstorable

Role = Literal["learner", "instructor", "admin"]
Level = Literal["beginner", "intermediate", "advanced"]
Category = Literal["programming", "mathematics"]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Tag = Text(40, min_length=1)
Title = Text(200, min_length=1)
MinorAmount = Money()
RefId = Raw(40, min_length=1)
# Deliberately simple: one @, a dot in the domain, no spaces (no email-validator dependency).
EmailStr = Annotated[
    str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}$", max_length=254, to_lower=True),
    AfterValidator(reject_unstorable),
]
Password = Raw(256, min_length=8)
LongText = Text(20_000)
ReviewNote = Text(1000)
Markdown = Text(100_000)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ------------------------------------------------------------------ identity
class RegisterIn(Strict):
    email: EmailStr
    password: Password
    display_name: Text(120) = ""
    role: Literal["learner", "instructor"] = "learner"
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "IN"


class LoginIn(Strict):
    email: EmailStr
    password: Raw(256, min_length=1)


class RefreshIn(Strict):
    refresh_token: Raw(512, min_length=1)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class UserOut(Out):
    id: str
    email: str
    role: Role
    display_name: str
    country: str
    created_at: datetime


class RoleIn(Strict):
    role: Role


# ------------------------------------------------------------------ content
class CourseIn(Strict):
    title: Title
    description: LongText = ""
    category: Category
    level: Level = "beginner"
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    price_minor: MinorAmount = 0
    currency: Currency = "INR"


class CoursePatch(Strict):
    title: Title | None = None
    description: LongText | None = None
    level: Level | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] | None = None
    price_minor: MinorAmount | None = None


class ModuleIn(Strict):
    title: Title
    position: Count(le=10_000) = 0


class LessonIn(Strict):
    title: Title
    body_md: Markdown = ""
    video_asset_id: Raw(80, min_length=1) | None = None
    duration_s: Count(le=86_400) = 0
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    level: Level = "beginner"
    position: Count(le=10_000) = 0
    is_free_preview: bool = False


class LessonSummary(Out):
    id: str
    title: str
    duration_s: int
    position: int
    is_free_preview: bool
    video_asset_id: str | None
    level: Level
    tags: list[str]


class LessonOut(LessonSummary):
    module_id: str
    course_id: str
    body_md: str


class ModuleOut(Out):
    id: str
    title: str
    position: int
    lessons: list[LessonSummary]


class CourseOut(Out):
    id: str
    instructor_id: str
    title: str
    description: str
    category: Category
    level: Level
    tags: list[str]
    price_minor: int
    currency: str
    status: Literal["draft", "published"]
    created_at: datetime
    published_at: datetime | None


class CourseDetail(CourseOut):
    modules: list[ModuleOut]


class CoursePage(BaseModel):
    items: list[CourseOut]
    next_cursor: str | None


# ------------------------------------------------------------------ engagement
class EnrollmentOut(Out):
    id: str
    learner_id: str
    course_id: str
    source: Literal["free", "paid"]
    order_id: str | None
    status: Literal["active", "revoked"]
    created_at: datetime


class ProgressIn(Strict):
    position_s: Annotated[float, Field(ge=0, le=86_400, allow_inf_nan=False)]
    seconds_watched: Annotated[float, Field(ge=0, le=86_400, allow_inf_nan=False)] = 0
    completed: bool = False


class ProgressOut(Out):
    lesson_id: str
    course_id: str
    learner_id: str
    position_s: float
    seconds_watched: float
    completed: bool
    updated_at: datetime


# ------------------------------------------------------------------ commerce
class CartItemIn(Strict):
    course_id: RefId


class CartLine(BaseModel):
    course_id: str
    title: str
    price_minor: int
    currency: str


class CartOut(BaseModel):
    id: str | None
    items: list[CartLine]
    subtotal_minor: int
    currency: str | None


class QuoteIn(Strict):
    coupon_code: Text(40, min_length=1) | None = None


class QuoteOut(BaseModel):
    subtotal_minor: int
    discount_minor: int
    total_minor: int
    currency: str | None
    coupon_code: str | None


class CouponIn(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_-]{3,40}$")]
    kind: Literal["percent", "fixed"]
    percent_off: Count(ge=1, le=100) | None = None
    amount_off_minor: Money(ge=1) | None = None
    currency: Currency | None = None
    min_amount_minor: MinorAmount = 0
    max_uses: Count(ge=1) | None = None
    per_user_limit: Count(ge=1) | None = None
    expires_at: UtcDatetime | None = None


class CouponOut(Out):
    id: str
    code: str
    kind: Literal["percent", "fixed"]
    percent_off: int | None
    amount_off_minor: int | None
    currency: str | None
    min_amount_minor: int
    max_uses: int | None
    per_user_limit: int | None
    expires_at: datetime | None
    times_used: int
    active: bool


class CardMethod(Strict):
    method: Literal["card"]
    card_token: Annotated[str, StringConstraints(pattern=r"^tok_[A-Za-z0-9_]{1,60}$")]


class UpiMethod(Strict):
    method: Literal["upi"]
    vpa: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{2,64}@[A-Za-z]{2,32}$")]


class WalletMethod(Strict):
    method: Literal["wallet"]
    wallet_id: Annotated[str, StringConstraints(pattern=r"^wal_[A-Za-z0-9_]{1,60}$")]


PaymentMethodIn = Annotated[CardMethod | UpiMethod | WalletMethod, Field(discriminator="method")]


class PayIn(Strict):
    payment: PaymentMethodIn
    device_id: Text(80, min_length=1) = "unknown"


class CheckoutIn(PayIn):
    coupon_code: Text(40, min_length=1) | None = None


class RefundIn(Strict):
    amount_minor: Money(ge=1) | None = None
    reason: Text(200) = ""


class RefundOut(Out):
    id: str
    payment_id: str
    amount_minor: int
    reason: str
    created_at: datetime


class PaymentOut(Out):
    id: str
    order_id: str
    learner_id: str
    method: Literal["card", "upi", "wallet"]
    method_ref: str
    amount_minor: int
    currency: str
    status: Literal["created", "pending_review", "requires_action", "captured", "declined", "failed",
                    "partially_refunded", "refunded"]
    captured_minor: int
    refunded_minor: int
    fraud_probability: float | None
    fraud_decision: Literal["approve", "review", "step_up", "decline"] | None
    fraud_reasons: list[str]
    fraud_model_version: str | None
    fraud_fallback: bool
    fraud_rule: str | None = None  # the fraud rule that decided, when one did
    fraud_rule_action: Literal["allow", "block", "step_up", "review"] | None = None
    review_decision: Literal["approve", "decline"] | None = None
    reviewed_at: datetime | None = None
    failure_code: str | None
    created_at: datetime
    refunds: list[RefundOut]


class OrderItemOut(Out):
    course_id: str
    title: str
    price_minor: int
    discount_minor: int
    amount_minor: int


class OrderOut(Out):
    id: str
    learner_id: str
    status: Literal["pending", "paid", "partially_refunded", "refunded"]
    subtotal_minor: int
    discount_minor: int
    total_minor: int
    currency: str
    coupon_code: str | None
    created_at: datetime
    paid_at: datetime | None
    items: list[OrderItemOut]


class CheckoutOut(BaseModel):
    order: OrderOut
    payment: PaymentOut | None


class ReviewIn(Strict):
    decision: Literal["approve", "decline"]
    note: ReviewNote = ""  # kept with the decision, for audit


# ------------------------------------------------------------------ ledger
class AccountBalance(BaseModel):
    account: str
    currency: str
    debit_minor: int
    credit_minor: int
    normal_side: Literal["debit", "credit"]
    balance_minor: int


class CurrencyTotals(BaseModel):
    currency: str
    total_debit_minor: int
    total_credit_minor: int
    difference_minor: int


class TrialBalance(BaseModel):
    balanced: bool
    entries: int
    totals: list[CurrencyTotals]
    accounts: list[AccountBalance]


class JournalLineOut(Out):
    account: str
    debit_minor: int
    credit_minor: int
    currency: str


class JournalEntryOut(Out):
    id: str
    kind: Literal["capture", "refund"]
    payment_id: str | None
    refund_id: str | None
    currency: str
    memo: str
    created_at: datetime
    lines: list[JournalLineOut]


class EntryPage(BaseModel):
    items: list[JournalEntryOut]
    next_cursor: str | None


class OutboxRelayOut(BaseModel):
    published: int
