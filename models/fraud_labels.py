"""Fraud labels from the review queue, applied point-in-time to the payment history.

An analyst's decision on a held payment (``payment.reviewed``: decline = fraud) is a
better label than the payment's outcome, which for a held payment only says what the
analyst did. :func:`review_labels` reads those decisions from ``events_clean``;
:func:`apply_review_labels` makes each the label of its payment from the moment it was
decided: a training run as of an earlier moment keeps the older label, so no training
set ever learns from a decision taken after it was cut.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from suuupra.settings import Settings

REVIEWED = "payment.reviewed"


def review_labels(settings: Settings) -> pd.DataFrame:
    """``payment_id, is_fraud, labeled_at`` of every review decision in the lake (may be empty)."""
    from suuupra.lake import table_path

    empty = pd.DataFrame({"payment_id": pd.Series(dtype=str), "is_fraud": pd.Series(dtype=int),
                          "labeled_at": pd.Series(dtype="datetime64[ns, UTC]")})
    path = table_path("events_clean", settings)
    if not path.exists() or not any(path.rglob("*.parquet")):
        return empty
    ev = pd.read_parquet(path, columns=["event_type", "payment_id", "is_fraud", "event_timestamp"],
                         filters=[("event_type", "==", REVIEWED)])
    if ev.empty:
        return empty
    return pd.DataFrame({"payment_id": ev["payment_id"].astype(str), "is_fraud": ev["is_fraud"].astype(int),
                         "labeled_at": pd.to_datetime(ev["event_timestamp"], utc=True)})


def apply_review_labels(payments: pd.DataFrame, labels: pd.DataFrame,
                        as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """``payments`` with the latest review label known at ``as_of`` (default: all) as ``is_fraud``;
    adds ``label_source`` (``review`` / ``outcome``) and ``label_timestamp``."""
    out = payments.copy()
    out["label_source"] = "outcome"
    out["label_timestamp"] = pd.to_datetime(out["event_timestamp"], utc=True)
    if labels.empty:
        return out
    known = labels if as_of is None else labels[labels["labeled_at"] <= pd.Timestamp(as_of)]
    if known.empty:
        return out
    latest = known.sort_values("labeled_at").drop_duplicates("payment_id", keep="last").set_index("payment_id")
    hit = out["payment_id"].isin(latest.index)
    ids = out.loc[hit, "payment_id"]
    out.loc[hit, "is_fraud"] = latest.loc[ids, "is_fraud"].to_numpy().astype(out["is_fraud"].dtype)
    out.loc[hit, "label_source"] = "review"
    out.loc[hit, "label_timestamp"] = latest.loc[ids, "labeled_at"].to_numpy()
    return out
