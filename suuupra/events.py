"""Versioned domain event schemas.

Every event is a flat JSON object: a common envelope (id, type, schema version,
UTC occurred_at, producer, partition key) plus the fields of its type. Flat rows
keep the lake directly readable by Flink SQL and Spark without nested-struct
gymnastics. Each event type belongs to exactly one topic; the topic decides the
lake directory (``topic=<name>/date=YYYY-MM-DD/hour=HH``) and the Kafka topic.

Schemas are strict (``extra="forbid"``): a producer with a typo or a missing
field gets a :class:`EventValidationError` and nothing is written.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

PaymentMethod = Literal["card", "upi", "wallet"]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Surface = Literal["home", "course_page", "post_enrollment", "search", "email"]


class EventValidationError(ValueError):
    """An event does not match its schema; the message lists each bad field."""


def _new_id() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Envelope shared by all events."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    TOPIC: ClassVar[str] = ""

    event_id: str = Field(default_factory=_new_id, min_length=1, max_length=64)
    event_type: str
    schema_version: int = Field(default=1, ge=1)
    occurred_at: datetime = Field(default_factory=_now)
    producer: str = Field(default="suuupra", min_length=1, max_length=64)
    partition_key: str = Field(default="", max_length=128)

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware (UTC)")
        return value.astimezone(UTC)

    def model_post_init(self, __context: Any) -> None:
        if not self.partition_key:
            object.__setattr__(self, "partition_key", self._default_partition_key())

    def _default_partition_key(self) -> str:
        for attr in ("learner_id", "user_id", "course_id"):
            value = getattr(self, attr, None)
            if value:
                return str(value)
        return self.event_id

    @property
    def topic(self) -> str:
        return self.TOPIC

    def to_record(self) -> dict[str, Any]:
        """JSON-ready dict; timestamps as ISO-8601 with milliseconds and ``Z``."""
        data = self.model_dump(mode="json")
        data["occurred_at"] = self.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.") + (
            f"{self.occurred_at.microsecond // 1000:03d}Z"
        )
        return data


# ---------------------------------------------------------------- identity
class UserRegistered(Event):
    TOPIC: ClassVar[str] = "identity"
    event_type: Literal["user.registered"] = "user.registered"
    user_id: str
    role: Literal["learner", "instructor", "admin"] = "learner"
    country: str = Field(default="IN", pattern=r"^[A-Z]{2}$")
    interests: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- content
class CoursePublished(Event):
    TOPIC: ClassVar[str] = "content"
    event_type: Literal["course.published"] = "course.published"
    course_id: str
    instructor_id: str
    title: str = Field(min_length=1)
    category: Literal["programming", "mathematics"]
    tags: list[str] = Field(default_factory=list)
    level: Literal["beginner", "intermediate", "advanced"] = "beginner"
    price_minor: int = Field(ge=0)
    currency: Currency = "INR"


class LessonPublished(Event):
    TOPIC: ClassVar[str] = "content"
    event_type: Literal["lesson.published"] = "lesson.published"
    course_id: str
    lesson_id: str
    title: str = Field(min_length=1)
    position: int = Field(ge=0)
    duration_s: int = Field(ge=0)


# ---------------------------------------------------------------- engagement
class EnrollmentCreated(Event):
    TOPIC: ClassVar[str] = "engagement"
    event_type: Literal["enrollment.created"] = "enrollment.created"
    learner_id: str
    course_id: str
    source: Literal["free", "paid"] = "free"


class LessonViewed(Event):
    TOPIC: ClassVar[str] = "engagement"
    event_type: Literal["lesson.viewed"] = "lesson.viewed"
    learner_id: str
    course_id: str
    lesson_id: str
    session_id: str = ""


class VideoProgress(Event):
    TOPIC: ClassVar[str] = "engagement"
    event_type: Literal["video.progress"] = "video.progress"
    learner_id: str
    course_id: str
    lesson_id: str
    session_id: str = ""
    position_s: float = Field(ge=0)
    seconds_watched: float = Field(ge=0)
    duration_s: float = Field(gt=0)
    completed: bool = False
    rendition: str = ""


class SearchPerformed(Event):
    TOPIC: ClassVar[str] = "engagement"
    event_type: Literal["search.performed"] = "search.performed"
    learner_id: str = ""
    query: str = Field(min_length=1, max_length=512)
    results: int = Field(ge=0)


class RecommendationServed(Event):
    TOPIC: ClassVar[str] = "recommendations"
    event_type: Literal["recommendation.served"] = "recommendation.served"
    recommendation_id: str
    learner_id: str
    surface: Surface
    course_ids: list[str]
    model_version: str = ""


class RecommendationClicked(Event):
    TOPIC: ClassVar[str] = "recommendations"
    event_type: Literal["recommendation.clicked"] = "recommendation.clicked"
    recommendation_id: str
    learner_id: str
    course_id: str


# ---------------------------------------------------------------- commerce
class CartCreated(Event):
    TOPIC: ClassVar[str] = "commerce"
    event_type: Literal["cart.created"] = "cart.created"
    learner_id: str
    cart_id: str
    course_ids: list[str]


class OrderCreated(Event):
    TOPIC: ClassVar[str] = "commerce"
    event_type: Literal["order.created"] = "order.created"
    learner_id: str
    order_id: str
    course_ids: list[str]
    amount_minor: int = Field(ge=0)
    currency: Currency = "INR"
    coupon_code: str = ""


class OrderPaid(Event):
    TOPIC: ClassVar[str] = "commerce"
    event_type: Literal["order.paid"] = "order.paid"
    learner_id: str
    order_id: str
    payment_id: str
    amount_minor: int = Field(ge=0)
    currency: Currency = "INR"


class OrderRefunded(Event):
    TOPIC: ClassVar[str] = "commerce"
    event_type: Literal["order.refunded"] = "order.refunded"
    learner_id: str
    order_id: str
    payment_id: str
    amount_minor: int = Field(gt=0)
    currency: Currency = "INR"
    reason: str = ""


# ---------------------------------------------------------------- payments
class _PaymentBase(Event):
    TOPIC: ClassVar[str] = "payments"
    learner_id: str
    payment_id: str
    order_id: str = ""
    amount_minor: int = Field(gt=0)
    currency: Currency = "INR"
    method: PaymentMethod
    device_id: str
    ip: str
    country: str = Field(pattern=r"^[A-Z]{2}$")


class PaymentAttempted(_PaymentBase):
    event_type: Literal["payment.attempted"] = "payment.attempted"
    # Ground truth from the demo world (or chargeback feedback in production);
    # -1 means unknown.
    is_fraud: int = Field(default=-1, ge=-1, le=1)
    fraud_pattern: str = ""


class PaymentAuthorized(_PaymentBase):
    event_type: Literal["payment.authorized"] = "payment.authorized"
    fraud_score: float | None = Field(default=None, ge=0, le=1)
    decision: Literal["approve", "review", "step_up", "decline", ""] = ""


class PaymentDeclined(_PaymentBase):
    event_type: Literal["payment.declined"] = "payment.declined"
    reason: str = ""
    fraud_score: float | None = Field(default=None, ge=0, le=1)


class PaymentReviewed(_PaymentBase):
    """An analyst decided a payment the fraud check held: the label the next training run
    learns from, effective from this event's ``occurred_at`` (point-in-time correct)."""

    event_type: Literal["payment.reviewed"] = "payment.reviewed"
    decision: Literal["approve", "decline"]
    is_fraud: int = Field(ge=0, le=1)


# ---------------------------------------------------------------- tutor
class TutorMessage(Event):
    TOPIC: ClassVar[str] = "tutor"
    event_type: Literal["tutor.message"] = "tutor.message"
    learner_id: str
    conversation_id: str
    role: Literal["user", "assistant"]
    chars: int = Field(ge=0)
    citations: int = Field(default=0, ge=0)
    course_id: str = ""
    latency_ms: float | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.model_fields["event_type"].default: cls
    for cls in (
        UserRegistered,
        CoursePublished,
        LessonPublished,
        EnrollmentCreated,
        LessonViewed,
        VideoProgress,
        SearchPerformed,
        RecommendationServed,
        RecommendationClicked,
        CartCreated,
        OrderCreated,
        OrderPaid,
        OrderRefunded,
        PaymentAttempted,
        PaymentAuthorized,
        PaymentDeclined,
        PaymentReviewed,
        TutorMessage,
    )
}

TOPICS: tuple[str, ...] = tuple(sorted({cls.TOPIC for cls in EVENT_TYPES.values()}))

AnyEvent = Annotated[
    UserRegistered
    | CoursePublished
    | LessonPublished
    | EnrollmentCreated
    | LessonViewed
    | VideoProgress
    | SearchPerformed
    | RecommendationServed
    | RecommendationClicked
    | CartCreated
    | OrderCreated
    | OrderPaid
    | OrderRefunded
    | PaymentAttempted
    | PaymentAuthorized
    | PaymentDeclined
    | PaymentReviewed
    | TutorMessage,
    Field(discriminator="event_type"),
]
_ADAPTER: TypeAdapter[Event] = TypeAdapter(AnyEvent)


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "<event>"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def parse_event(data: dict[str, Any] | str | bytes) -> Event:
    """Validate a dict or JSON document into its typed event, or raise EventValidationError."""
    try:
        if isinstance(data, str | bytes):
            return _ADAPTER.validate_json(data)
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise EventValidationError(f"invalid event: {_describe(exc)}") from None


def make_event(event_type: str, **fields: Any) -> Event:
    """Build an event by type name, with the same clear error as :func:`parse_event`."""
    if event_type not in EVENT_TYPES:
        raise EventValidationError(
            f"unknown event_type {event_type!r}; expected one of {sorted(EVENT_TYPES)}"
        )
    return parse_event({"event_type": event_type, **fields})
