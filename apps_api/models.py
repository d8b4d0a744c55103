"""SQLAlchemy 2 models. Money is always ``*_minor`` integers plus a currency.

Journal entries and lines are append-only: :func:`forbid_ledger_mutation` is a
session hook that refuses updates or deletes, so balances can only be derived
by summing lines, never edited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from apps_api.db import Base, utcnow

Money = BigInteger


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="learner")
    display_name: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str] = mapped_column(String(2), default="IN")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    family_id: Mapped[str] = mapped_column(String(40), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Course(Base):
    __tablename__ = "courses"
    __table_args__ = (Index("ix_courses_status_id", "status", "id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    instructor_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16), default="beginner")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    price_minor: Mapped[int] = mapped_column(Money, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    modules: Mapped[list[Module]] = relationship(order_by="Module.position")


class Module(Base):
    __tablename__ = "modules"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    lessons: Mapped[list[Lesson]] = relationship(order_by="Lesson.position")


class Lesson(Base):
    __tablename__ = "lessons"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    module_id: Mapped[str] = mapped_column(ForeignKey("modules.id"), index=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text, default="")
    video_asset_id: Mapped[str | None] = mapped_column(String(80))
    duration_s: Mapped[int] = mapped_column(Integer, default=0)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    level: Mapped[str] = mapped_column(String(16), default="beginner")
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_free_preview: Mapped[bool] = mapped_column(Boolean, default=False)


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("learner_id", "course_id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), index=True)
    source: Mapped[str] = mapped_column(String(8), default="free")
    order_id: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LessonProgress(Base):
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("learner_id", "lesson_id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"))
    lesson_id: Mapped[str] = mapped_column(ForeignKey("lessons.id"))
    position_s: Mapped[float] = mapped_column(Float, default=0.0)
    seconds_watched: Mapped[float] = mapped_column(Float, default=0.0)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cart(Base):
    __tablename__ = "carts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    items: Mapped[list[CartItem]] = relationship(
        order_by="CartItem.id", lazy="selectin", cascade="all, delete-orphan"
    )


class CartItem(Base):
    __tablename__ = "cart_items"
    __table_args__ = (UniqueConstraint("cart_id", "course_id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    cart_id: Mapped[str] = mapped_column(ForeignKey("carts.id"), index=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Coupon(Base):
    __tablename__ = "coupons"
    __table_args__ = (CheckConstraint("times_used >= 0", name="ck_coupon_uses"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # percent | fixed
    percent_off: Mapped[int | None] = mapped_column(Integer)
    amount_off_minor: Mapped[int | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    min_amount_minor: Mapped[int] = mapped_column(Money, default=0)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    per_user_limit: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None]
    times_used: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CouponRedemption(Base):
    __tablename__ = "coupon_redemptions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    coupon_id: Mapped[str] = mapped_column(ForeignKey("coupons.id"), index=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="pending")
    subtotal_minor: Mapped[int] = mapped_column(Money)
    discount_minor: Mapped[int] = mapped_column(Money, default=0)
    total_minor: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    coupon_code: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]
    items: Mapped[list[OrderItem]] = relationship(order_by="OrderItem.id", lazy="selectin")


class OrderItem(Base):
    __tablename__ = "order_items"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"))
    instructor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    price_minor: Mapped[int] = mapped_column(Money)
    discount_minor: Mapped[int] = mapped_column(Money, default=0)
    amount_minor: Mapped[int] = mapped_column(Money)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("refunded_minor <= captured_minor", name="ck_payment_refund_le_capture"),
        CheckConstraint("refunded_minor >= 0 AND captured_minor >= 0", name="ck_payment_nonneg"),
        Index("ix_payments_status_created", "status", "created_at"),  # the review queue
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    method: Mapped[str] = mapped_column(String(8))
    method_ref: Mapped[str] = mapped_column(String(80))
    amount_minor: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24), default="created")
    captured_minor: Mapped[int] = mapped_column(Money, default=0)
    refunded_minor: Mapped[int] = mapped_column(Money, default=0)
    fraud_probability: Mapped[float | None] = mapped_column(Float)
    fraud_decision: Mapped[str | None] = mapped_column(String(8))
    fraud_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    fraud_model_version: Mapped[str | None] = mapped_column(String(80))
    fraud_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    # the fraud rule that decided the payment (None when the model's decision stood)
    fraud_rule: Mapped[str | None] = mapped_column(String(64))
    fraud_rule_action: Mapped[str | None] = mapped_column(String(8))
    # review queue: who holds the case, and the analyst's decision (a fraud label for training)
    review_claimed_by: Mapped[str | None] = mapped_column(String(40))
    review_claimed_at: Mapped[datetime | None] = mapped_column()
    reviewed_by: Mapped[str | None] = mapped_column(String(40))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    review_decision: Mapped[str | None] = mapped_column(String(8))
    review_note: Mapped[str | None] = mapped_column(String(1000))
    processor_ref: Mapped[str | None] = mapped_column(String(80))
    failure_code: Mapped[str | None] = mapped_column(String(40))
    device_id: Mapped[str] = mapped_column(String(80), default="unknown")
    ip: Mapped[str] = mapped_column(String(64), default="0.0.0.0")
    country: Mapped[str] = mapped_column(String(2), default="IN")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    refunds: Mapped[list[Refund]] = relationship(order_by="Refund.id", lazy="selectin")


class FraudRule(Base):
    """A fraud rule as analysts wrote it; parsed (and refused when malformed) on every write."""

    __tablename__ = "fraud_rules"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    condition: Mapped[str] = mapped_column(String(2000))
    action: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(200), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ValueList(Base):
    """A named set of values rules test with ``in @name`` (blocked devices, trusted learners)."""

    __tablename__ = "fraud_value_lists"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ValueListItem(Base):
    __tablename__ = "fraud_value_list_items"
    __table_args__ = (UniqueConstraint("list_id", "value"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    list_id: Mapped[str] = mapped_column(ForeignKey("fraud_value_lists.id"), index=True)
    value: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Refund(Base):
    __tablename__ = "refunds"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any | None] = mapped_column(JSON)
    locked_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JournalEntry(Base):
    __tablename__ = "journal_entries"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # capture | refund
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"), index=True)
    # One capture entry per payment, one entry per refund: enforced by the database.
    capture_of: Mapped[str | None] = mapped_column(String(40), unique=True)
    refund_id: Mapped[str | None] = mapped_column(ForeignKey("refunds.id"), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lines: Mapped[list[JournalLine]] = relationship(order_by="JournalLine.id", lazy="selectin")


class JournalLine(Base):
    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint(
            "(debit_minor >= 0 AND credit_minor >= 0) AND (debit_minor = 0 OR credit_minor = 0)",
            name="ck_line_one_side",
        ),
        Index("ix_journal_lines_account", "account"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(80))
    debit_minor: Mapped[int] = mapped_column(Money, default=0)
    credit_minor: Mapped[int] = mapped_column(Money, default=0)
    currency: Mapped[str] = mapped_column(String(3))


class OutboxEvent(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unpublished", "published_at", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class LedgerMutationError(RuntimeError):
    """Raised when code tries to change or delete a posted journal entry."""


@event.listens_for(Session, "before_flush")
def forbid_ledger_mutation(session: Session, _ctx, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, JournalEntry | JournalLine) and (
            obj in session.deleted or session.is_modified(obj, include_collections=False)
        ):
            raise LedgerMutationError("journal entries are append-only; post a reversing entry instead")
