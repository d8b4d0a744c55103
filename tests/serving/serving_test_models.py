"""Real small models for the serving tests, trained with the models team's API (helpers, not fixtures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

N_LEARNERS = 60
N_COURSES = 16


def course_id(i: int) -> str:
    return f"C{i:03d}"


def learner_id(i: int) -> str:
    return f"L{i:04d}"


def interactions_frame(seed: int = 0) -> pd.DataFrame:
    """Two taste clusters (even vs odd courses) so ALS has structure to learn."""
    rng = np.random.default_rng(seed)
    rows = []
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    for u in range(N_LEARNERS):
        pool = [c for c in range(N_COURSES) if c % 2 == u % 2]
        for c in rng.choice(pool, size=4, replace=False):
            rows.append((learner_id(u), course_id(int(c)), float(rng.integers(1, 5)), t0 + timedelta(hours=u)))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "weight", "timestamp"])


FRAUD_FEATURES = ["amount_minor", "method", "country", "hour_of_day"]


def fraud_frame(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """Fraud = large amounts from one country at night (learnable with the request features)."""
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(8, 1.0, n).round()
    country = rng.choice(["IN", "US", "NG"], n, p=[0.7, 0.2, 0.1])
    hour = rng.integers(0, 24, n)
    method = rng.choice(["card", "upi", "wallet"], n)
    risk = (amount > 6000).astype(int) + (country == "NG") + (hour < 6)
    is_fraud = ((risk >= 2) & (rng.random(n) < 0.9)).astype(int)
    return pd.DataFrame(
        {"amount_minor": amount, "method": method, "country": country, "hour_of_day": hour, "is_fraud": is_fraud}
    )


def train_small_recommender(seed: int = 0, factors: int = 8):
    from models.recommender import train_recommender

    return train_recommender(
        interactions_frame(seed), {"algorithm": "als", "factors": factors, "iterations": 4, "seed": seed,
                                   "num_threads": 1}
    )


def train_small_fraud(seed: int = 0):
    from models.fraud import train_fraud_model

    return train_fraud_model(
        fraud_frame(seed=seed), label="is_fraud", features=FRAUD_FEATURES,
        params={"hidden": [16], "max_epochs": 4, "batch_size": 256, "num_threads": 1, "seed": seed,
                "min_category_count": 1},
    )


REC_EXAMPLE = pd.DataFrame({"user_id": [learner_id(0), learner_id(1)]})


def fraud_example() -> pd.DataFrame:
    return fraud_frame(n=5)[FRAUD_FEATURES]
