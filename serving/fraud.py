"""Fraud scoring logic behind ``POST /fraud/score`` (plain Python, no Ray).

Works on a *batch* of payment requests because the deployment groups concurrent
requests with ``@serve.batch``: one feature-store call and one forward pass for the
whole batch instead of one each per request.

Features = request-time features derived here (amount, method, country, hour of day,
...) + ``fraud_v1`` online features (velocity per learner, device and IP). Columns
the model expects but we could not get are left empty; the model's preprocessor
imputes its training medians / the unknown category for them.

Fallback (documented in docs/serving.md): when the online features are unavailable
or the learner is unknown to the feature store, the score rests on request-time
features only. The response then carries ``fallback=true`` and the reason
``FEATURES_MISSING``, and the decision is capped at ``review``: we never
auto-decline a payment without its velocity evidence. If the model's policy
defines its own ``fallback(probabilities, amounts)`` rule, that rule is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from serving.errors import ModelUnavailable
from serving.feature_source import FeatureRows
from serving.model_source import LoadedModel
from serving.schemas import FraudScoreRequest, FraudScoreResponse

FEATURE_SERVICE = "fraud_v1"
WARMUP_ROW = {"learner_id": "__warmup__", "device_id": "__warmup__", "ip": "__warmup__", "amount_minor": 0.0}
FEATURES_MISSING = "FEATURES_MISSING"
_CAP = {"decline": "review"}


def request_features(req: FraudScoreRequest) -> dict[str, Any]:
    """Request-time features: what we know from the payment itself."""
    ts = req.occurred_at
    amount = float(req.amount_minor)
    return {
        "learner_id": req.learner_id,
        "amount_minor": amount,
        "amount": amount,
        "log_amount": float(np.log1p(amount)),
        "currency": req.currency,
        "method": req.method,
        "device_id": req.device_id,
        "ip": req.ip,
        "country": req.country,
        "hour": ts.hour,
        "hour_of_day": ts.hour,
        "day_of_week": ts.weekday(),
        "is_weekend": int(ts.weekday() >= 5),
        "is_night": int(ts.hour < 6),
    }


def entity_rows(requests: Sequence[FraudScoreRequest]) -> list[dict[str, Any]]:
    """``fraud_v1`` entity rows: join keys plus the request fields its on-demand view needs."""
    return [
        {
            "learner_id": r.learner_id,
            "device_id": r.device_id,
            "ip": r.ip,
            "amount_minor": float(r.amount_minor),
            "payment_device_id": r.device_id,
            "request_unix_ts": int(r.occurred_at.timestamp()),
        }
        for r in requests
    ]


def build_frame(model: Any, requests: Sequence[FraudScoreRequest], features: FeatureRows) -> Any:
    import pandas as pd

    rows = []
    for req, feats in zip(requests, features.rows, strict=True):
        row = request_features(req)
        for key, value in feats.items():
            row.setdefault(key, value)
        rows.append(row)
    df = pd.DataFrame(rows)
    for col in getattr(model, "features", []):
        if col not in df.columns:
            df[col] = np.nan
    return df


def score_batch(
    loaded: LoadedModel | None, requests: Sequence[FraudScoreRequest], features: FeatureRows, explain: bool = True
) -> list[FraudScoreResponse]:
    """Score validated payments, in order (the ingress adds each request id)."""
    if loaded is None:
        raise ModelUnavailable("no fraud model is loaded yet (is a champion registered?)")
    model = loaded.model
    df = build_frame(model, requests, features)
    if explain and hasattr(model, "score"):
        scored = model.score(df)
        proba = scored["fraud_probability"].to_numpy(dtype=float)
        decisions = scored["decision"].astype(str).tolist()
        reasons = [list(r) for r in scored["reason_codes"]]
    else:
        proba = np.asarray(model.predict_proba(df), dtype=float)
        decisions = [str(d) for d in model.policy.decide(proba)]
        reasons = [[] for _ in requests]
    missing = [(not features.available) or bool(u) for u in features.unknown]
    if any(missing):
        policy_fallback = getattr(model.policy, "fallback", None)
        amounts = np.asarray([float(r.amount_minor) for r in requests])
        fb = list(policy_fallback(proba, amounts)) if callable(policy_fallback) else None
        for i, is_missing in enumerate(missing):
            if is_missing:
                decisions[i] = str(fb[i]) if fb is not None else _CAP.get(decisions[i], decisions[i])
                reasons[i] = [FEATURES_MISSING, *reasons[i]]
    return [
        FraudScoreResponse(probability=float(np.clip(p, 0.0, 1.0)), decision=d, reasons=r,
                           model_version=loaded.label, fallback=m)
        for p, d, r, m in zip(proba, decisions, reasons, missing, strict=True)
    ]
