"""Request-time (on-demand) features for fraud scoring.

These depend on the payment being scored, which only exists in the request:
its amount relative to the learner's 30-day average, seconds since the
learner's last payment, and whether the device differs from the last one. The
same pandas function runs online and in training sets, so there is no
train/serve skew. Undefined inputs (unknown learner) map to explicit sentinels
(``-1`` seconds, ratio ``1.0``, new device ``1``) instead of NaN.
"""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
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


def payment_request_features(inputs: pd.DataFrame) -> pd.DataFrame:
    """Compute request-time fraud features (pure pandas; runs online and offline)."""
    out = pd.DataFrame(index=inputs.index)
    amount = pd.to_numeric(inputs["amount_minor"], errors="coerce").astype("float64")
    avg = pd.to_numeric(inputs["avg_payment_amount_30d"], errors="coerce").astype("float64")
    ratio = amount / avg.where(avg > 0)
    out["amount_to_avg_ratio"] = ratio.fillna(1.0).astype("float64")

    last = inputs["last_payment_at"]
    if pd.api.types.is_numeric_dtype(last):
        last_s = pd.to_numeric(last, errors="coerce").astype("float64")
    else:
        last_dt = pd.to_datetime(last, utc=True, errors="coerce")
        # total_seconds() is unit-agnostic (pandas may hold ns or us resolution).
        last_s = (last_dt - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    req_s = pd.to_numeric(inputs["request_unix_ts"], errors="coerce").astype("float64")
    secs = (req_s - last_s).clip(lower=0)
    out["seconds_since_last_payment"] = secs.fillna(-1.0).astype("float64")

    last_dev = inputs["last_device_id"].astype("object")
    cur_dev = inputs["payment_device_id"].astype("object")
    known = last_dev.notna() & (last_dev.astype(str) != "")
    out["is_new_device"] = np.where(known & (last_dev == cur_dev), 0, 1).astype("int64")
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
        mode="pandas",
        description="Amount vs 30-day average, seconds since last payment, new-device flag.",
        owner="team:features",
        tags={"freshness": "request"},
    )(_fresh_udf())
    return {odfv.name: odfv}


__all__ = ["REQUEST_FIELDS", "build_on_demand_views", "payment_request", "payment_request_features"]
