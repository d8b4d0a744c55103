"""Wire formats of the serving API (requests validated at the ingress, responses typed).

The fraud request/response mirror what ``apps_api.fraud`` sends and expects, field for
field: the checkout path depends on it, so a change here is a breaking API change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Surface = Literal["home", "course_page", "post_enrollment"]
Decision = Literal["approve", "review", "decline"]
PaymentMethod = Literal["card", "upi", "wallet"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RecommendationRequest(_Strict):
    learner_id: str = Field(min_length=1, max_length=64)
    k: int = Field(default=10, ge=1, le=100)
    surface: Surface = "home"
    course_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="anchor course for similar courses"
    )


class RecommendedCourse(BaseModel):
    course_id: str
    score: float
    rank: int
    reason: str


class RecommendationResponse(BaseModel):
    recommendation_id: str = Field(description="quote it on recommendation.clicked to attribute clicks")
    learner_id: str
    surface: Surface
    items: list[RecommendedCourse]
    model_version: str
    cold_start: bool = Field(description="learner unknown to the model: popularity/interest answer")
    features_missing: bool = Field(description="online features unavailable or learner unknown to them")
    request_id: str = ""


class FraudScoreRequest(_Strict):
    learner_id: str = Field(min_length=1, max_length=64)
    amount_minor: int = Field(ge=0, le=10**12)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    method: PaymentMethod
    device_id: str = Field(min_length=1, max_length=128)
    ip: str = Field(min_length=1, max_length=64)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    occurred_at: datetime
    # Optional extras apps_api does not send (yet); kept out of the required contract.
    payment_id: str | None = Field(default=None, max_length=64)

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must include a timezone (e.g. 2026-11-24T10:00:00Z)")
        return value


class FraudScoreResponse(BaseModel):
    probability: float = Field(ge=0, le=1)
    decision: Decision
    reasons: list[str]
    model_version: str
    fallback: bool = Field(description="features were missing: the policy's fallback rule decided")
    request_id: str = ""


class DeploymentStatus(BaseModel):
    name: str
    model_name: str | None = None
    model_version: str | None = None
    loaded_at: str | None = None
    last_check: str | None = None
    last_error: str | None = None
    pinned: bool = False


class ServiceStatus(BaseModel):
    status: Literal["ok", "degraded"]
    deployments: list[DeploymentStatus]
