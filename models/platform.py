"""Training on the platform's own data: the Spark ETL tables (Parquet) and Feast.

Reads ``<tables_dir>/interactions`` (``learner_id, course_id, weight, last_ts``) and
``<tables_dir>/payments_labeled`` via :func:`suuupra.lake.table_path`, maps them to the
plain frames the training APIs take, and runs the MLflow flows in
:mod:`models.training`. Fraud features come from the ``fraud_v1`` feature service
(``features.training.build_training_set``, point-in-time correct); when the feature
store has not been applied yet we fall back to request-time payment columns only and
record that as the feature service used, so the MLflow run says what it trained on.

Every entry point takes the platform :class:`~suuupra.settings.Settings`: they say
where the tables, the feature store and the MLflow backend are.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from suuupra.settings import Settings

log = logging.getLogger(__name__)

FRAUD_SERVICE = "fraud_v1"
RECOMMENDER_SERVICE = "recommender_v1"
PAYMENT_CATEGORICALS = ["country", "method", "currency"]
FRAUD_LABEL = "is_fraud"


class PlatformDataMissing(RuntimeError):
    """A Spark table the training needs has not been built yet."""


def _table(name: str, settings: Settings) -> Path:
    from suuupra.lake import table_path

    path = table_path(name, settings)
    if not path.exists() or not any(path.rglob("*.parquet")):
        raise PlatformDataMissing(
            f"table {name!r} not found at {path}; run `suuupra demo-data` and the Spark ETL "
            "(`suuupra pipeline run`) first"
        )
    return path


def load_interactions(settings: Settings) -> pd.DataFrame:
    """The ``interactions`` table as ``user_id, item_id, weight, timestamp``."""
    df = pd.read_parquet(
        _table("interactions", settings), columns=["learner_id", "course_id", "weight", "last_ts"]
    )
    return pd.DataFrame(
        {
            "user_id": df["learner_id"].astype(str),
            "item_id": df["course_id"].astype(str),
            "weight": df["weight"].astype(float),
            "timestamp": pd.to_datetime(df["last_ts"], utc=True),
        }
    )


def load_course_categories(settings: Settings) -> pd.DataFrame | None:
    """``item_id, category`` for cold start, from the course_daily table when present."""
    try:
        path = _table("course_daily", settings)
    except PlatformDataMissing:
        return None
    try:
        df = pd.read_parquet(path, columns=["course_id", "category"])
    except Exception:  # older/newer schema without a category column
        return None
    return df.dropna().drop_duplicates().rename(columns={"course_id": "item_id"})


def load_payments(settings: Settings, labels_as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """The ``payments_labeled`` table in event-time order, with analysts' review decisions
    as of ``labels_as_of`` (default: now) as the fraud labels of the payments they decided.

    ``label_source`` says where each label came from (``review`` or ``outcome``) and
    ``label_timestamp`` when it became known, so a training run as of a past moment uses
    exactly the labels known then (point-in-time correct).
    """
    from models.fraud_labels import apply_review_labels, review_labels

    df = pd.read_parquet(_table("payments_labeled", settings))
    df["event_timestamp"] = pd.to_datetime(df["event_timestamp"], utc=True)
    df = df.sort_values("event_timestamp").reset_index(drop=True)
    return apply_review_labels(df, review_labels(settings), labels_as_of)


def fraud_training_frame(payments: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, list[str], str]:
    """(frame, feature columns, feature service used) for the fraud model (features: ``settings``' store)."""
    base = ["amount_minor", *[c for c in PAYMENT_CATEGORICALS if c in payments.columns]]
    try:
        from features.training import build_training_set

        keys = ["payment_id"] if "payment_id" in payments.columns else []  # rows stay identifiable
        entity = payments[
            [*keys, "learner_id", "device_id", "ip", "event_timestamp", "amount_minor", FRAUD_LABEL]
        ].copy()
        for col in PAYMENT_CATEGORICALS:
            if col in payments.columns:
                entity[col] = payments[col].astype(str)
        df = build_training_set(FRAUD_SERVICE, entity, settings)
        feats = [c for c in df.columns if "__" in c]
        for c in feats:
            if pd.api.types.is_numeric_dtype(df[c]):
                df[c] = df[c].astype(float)
        return df, base + feats, FRAUD_SERVICE
    except Exception as exc:  # the feature store is optional for a first local run
        log.warning("fraud_v1 training set unavailable (%s); training on payment columns only", exc)
        df = payments.copy()
        for col in PAYMENT_CATEGORICALS:
            if col in df.columns:
                df[col] = df[col].astype(str)
        return df, base, "payments_labeled_request_only"


def train_recommender_from_tables(
    settings: Settings, margin: float = 0.005, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Train, register and gate the recommender on the ``interactions`` table."""
    from models.training import train_and_register_recommender

    return train_and_register_recommender(
        load_interactions(settings),
        params,
        settings=settings,
        item_categories=load_course_categories(settings),
        margin=margin,
        feature_service="interactions",
        feature_service_version="spark_etl_interactions",
    )


def train_fraud_from_tables(
    settings: Settings, margin: float = 0.005, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Train, register and gate the fraud scorer on ``payments_labeled`` plus ``fraud_v1`` features."""
    from models.fraud_monitoring import served_window
    from models.training import train_and_register_fraud

    df, features, service = fraud_training_frame(load_payments(settings), settings)
    version = service.rsplit("_v", 1)[-1] if "_v" in service else "none"
    _, served = served_window(df) if "event_timestamp" in df else (None, None)
    return train_and_register_fraud(
        df,
        FRAUD_LABEL,
        features,
        params,
        settings=settings,
        margin=margin,
        amount_col="amount_minor",
        feature_service=service,
        feature_service_version=version,
        served=served,
    )
