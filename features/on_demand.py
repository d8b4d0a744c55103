"""Request-time (on-demand) features for fraud scoring.

These depend on the payment being scored, which only exists in the request:
its amount relative to the learner's 30-day average, seconds since the
learner's last payment, and whether the device differs from the last one. The
same python function runs online and in training sets, so there is no
train/serve skew. Undefined inputs (unknown learner) map to explicit sentinels
(``-1`` seconds, ratio ``1.0``, new device ``1``) instead of NaN.
"""

from __future__ import annotations

import types
from typing import Any

from feast import FeatureView, Field, RequestSource
from feast.on_demand_feature_view import OnDemandFeatureView, on_demand_feature_view
from feast.types import Float64, Int64, String

#: Request fields; :mod:`features.online` and :mod:`features.training` fill
#: ``payment_device_id`` from ``device_id`` and ``request_unix_ts`` from the
#: request/label time when the caller leaves them out.
payment_request = RequestSource(
    name="payment_request",
    schema=[
        Field(name="amount_minor", dtype=Float64),
        Field(name="payment_device_id", dtype=String),
        Field(name="request_unix_ts", dtype=Int64),
    ],
    description="The payment being scored (amount in minor units, device, epoch seconds).",
    owner="team:features",
)

REQUEST_FIELDS: tuple[str, ...] = ("amount_minor", "payment_device_id", "request_unix_ts")


def payment_request_features(inputs: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Compute request-time fraud features (python mode: dict of columns in, dict out).

    Python mode rather than pandas: it runs on the online request path, where
    building DataFrames costs milliseconds per call; offline the same function
    runs over the training frame's columns. Self-contained (imports and helper
    inside) because Feast stores the UDF by value in the registry.
    """
    import math

    def _num(value):
        """A finite float, or None for missing (None, NaN, NaT, non-numeric)."""
        if value is None:
            return None
        if hasattr(value, "timestamp"):  # datetime / pandas Timestamp
            try:
                value = value.timestamp()
            except (ValueError, TypeError):
                return None
        try:
            out = float(value)
        except (TypeError, ValueError):
            return None
        return out if math.isfinite(out) else None

    ratio, secs, new_device = [], [], []
    for amount, avg, last_at, req_ts, last_dev, cur_dev in zip(
        inputs["amount_minor"],
        inputs["avg_payment_amount_30d"],
        inputs["last_payment_at"],
        inputs["request_unix_ts"],
        inputs["last_device_id"],
        inputs["payment_device_id"],
        strict=True,
    ):
        a, m = _num(amount), _num(avg)
        ratio.append(a / m if a is not None and m is not None and m > 0 else 1.0)
        last_s, req_s = _num(last_at), _num(req_ts)
        secs.append(max(req_s - last_s, 0.0) if last_s is not None and req_s is not None else -1.0)
        known = isinstance(last_dev, str) and last_dev != ""
        new_device.append(0 if known and last_dev == cur_dev else 1)
    out = {"amount_to_avg_ratio": ratio, "seconds_since_last_payment": secs, "is_new_device": new_device}
    # Feast 0.67 python mode matches UDF outputs against *full* names when the
    # caller asks for full_feature_names=True (and does not rename them itself),
    # so emit both spellings; whichever Feast looks for is found.
    out.update({f"payment_request_features__{k}": v for k, v in list(out.items())})
    return out


def _fresh_udf():
    """A copy of the UDF: Feast's decorator re-labels its function's module as
    ``__main__`` (for dill), which breaks a second build in the same process."""
    f = payment_request_features
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__, f.__closure__)
    g.__module__, g.__qualname__, g.__doc__ = __name__, f.__qualname__, f.__doc__
    return g


def build_on_demand_views(views: dict[str, FeatureView]) -> dict[str, OnDemandFeatureView]:
    """On-demand views over the batch views in ``views`` and the payment request."""
    odfv = on_demand_feature_view(
        name="payment_request_features",
        sources=[
            views["learner_activity"][["avg_payment_amount_30d"]],
            views["learner_last_payment"][["last_payment_at", "last_device_id"]],
            payment_request,
        ],
        schema=[
            Field(name="amount_to_avg_ratio", dtype=Float64),
            Field(name="seconds_since_last_payment", dtype=Float64),
            Field(name="is_new_device", dtype=Int64),
        ],
        mode="python",
        description="Amount vs 30-day average, seconds since last payment, new-device flag.",
        owner="team:features",
        tags={"freshness": "request"},
    )(_fresh_udf())
    return {odfv.name: odfv}


__all__ = ["REQUEST_FIELDS", "build_on_demand_views", "payment_request", "payment_request_features"]
