"""Client for the fraud scorer (Ray Serve ``POST /fraud/score``) with a fallback policy.

The scorer is another team's service; a payment must not hang on it. Every call
has a hard deadline (``settings.fraud_timeout_ms``, applied to connect, read and
the whole call). When the scorer is unreachable, slow, errors or answers with a
malformed body, :func:`fallback_decision` applies the documented policy:

* amount <= ``fraud_fallback_approve_max_minor`` -> ``approve`` (small tickets
  keep flowing; chargeback exposure is bounded by the threshold);
* larger amounts -> ``review`` (held, not captured, until an admin decides).

Fallback decisions carry ``fallback=True``, ``probability=None`` and a reason
naming the failure, and are stored on the payment like any other decision.

The scorer only answers callers holding the serving service token
(``settings.serve_service_token``, sent as ``Authorization: Bearer``); the
token is passed in by value. A refused token is a deployment mistake, not an
outage, so it is logged as an error naming the variable to fix (the payment
still gets the fallback decision).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import httpx
from pydantic import BaseModel, Field, SecretStr, ValidationError

log = logging.getLogger("apps_api.fraud")
Decision = Literal["approve", "review", "decline"]
# after the rules a payment may also need a step-up (re-authentication) before capture
FinalDecision = Literal["approve", "review", "step_up", "decline"]


class _ScoreResponse(BaseModel):
    probability: float = Field(ge=0, le=1)
    decision: Decision
    reasons: list[str] = []
    model_version: str = ""
    fallback: bool = False


@dataclass(frozen=True)
class FraudRequest:
    learner_id: str
    amount_minor: int
    currency: str
    method: str
    device_id: str
    ip: str
    country: str
    occurred_at: datetime

    def as_json(self) -> dict[str, object]:
        return {"learner_id": self.learner_id, "amount_minor": self.amount_minor, "currency": self.currency,
                "method": self.method, "device_id": self.device_id, "ip": self.ip, "country": self.country,
                "occurred_at": self.occurred_at.isoformat()}


@dataclass(frozen=True)
class FraudDecision:
    decision: FinalDecision
    probability: float | None
    reasons: list[str] = field(default_factory=list)
    model_version: str = ""
    fallback: bool = False
    rule: str | None = None  # the fraud rule that decided (apps_api.services.fraud_rules)
    rule_action: str | None = None


def fallback_decision(amount_minor: int, approve_max_minor: int, why: str) -> FraudDecision:
    decision: Decision = "approve" if amount_minor <= approve_max_minor else "review"
    return FraudDecision(decision=decision, probability=None, reasons=[f"scorer_unavailable:{why}"],
                         model_version="fallback-policy-v1", fallback=True)


class FraudClient:
    def __init__(self, url: str, timeout_ms: int, approve_max_minor: int, *,
                 service_token: SecretStr | str | None = None) -> None:
        self.url = url
        self.timeout_s = timeout_ms / 1000.0
        self.approve_max_minor = approve_max_minor
        token = service_token.get_secret_value() if isinstance(service_token, SecretStr) else service_token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(timeout=httpx.Timeout(self.timeout_s), trust_env=False, headers=headers)

    def score(self, request: FraudRequest) -> FraudDecision:
        started = time.perf_counter()
        try:
            resp = self._client.post(self.url, json=request.as_json())
            if time.perf_counter() - started > self.timeout_s:
                return self._fallback(request, "timeout")
            if resp.status_code in (401, 403):
                log.error("fraud scorer refused our service token; set SUUUPRA_SERVE_SERVICE_TOKEN to the "
                          "token the Serve app runs with", extra={"status": resp.status_code})
            if resp.status_code != 200:
                return self._fallback(request, f"http_{resp.status_code}")
            body = _ScoreResponse.model_validate_json(resp.content)
        except httpx.TimeoutException:
            return self._fallback(request, "timeout")
        except httpx.HTTPError as exc:
            return self._fallback(request, type(exc).__name__.lower())
        except ValidationError:
            return self._fallback(request, "bad_response")
        return FraudDecision(decision=body.decision, probability=body.probability, reasons=list(body.reasons),
                             model_version=body.model_version, fallback=body.fallback)

    def _fallback(self, request: FraudRequest, why: str) -> FraudDecision:
        log.warning("fraud scorer unavailable, applying fallback policy", extra={"why": why})
        return fallback_decision(request.amount_minor, self.approve_max_minor, why)

    def close(self) -> None:
        self._client.close()
