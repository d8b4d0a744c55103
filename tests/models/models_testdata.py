"""Synthetic frames with known structure for the models tests (small: the area has ~3 min)."""

from __future__ import annotations

import numpy as np
import pandas as pd

CATEGORIES = ["math", "physics", "history", "art"]


def make_interactions(n_users: int = 120, n_items: int = 48, seed: int = 0) -> pd.DataFrame:
    """Learners in 4 taste clusters; each mostly takes courses from its cluster."""
    rng = np.random.default_rng(seed)
    per = n_items // len(CATEGORIES)
    rows = []
    t0 = pd.Timestamp("2026-01-01")
    for u in range(n_users):
        cluster = u % len(CATEGORIES)
        own = np.arange(cluster * per, (cluster + 1) * per)
        other = np.setdiff1d(np.arange(n_items), own)
        items = np.concatenate([rng.choice(own, 7, replace=False), rng.choice(other, 1, replace=False)])
        for j, it in enumerate(rng.permutation(items)):
            rows.append(
                (f"u{u}", f"c{it}", float(rng.integers(1, 4)), t0 + pd.Timedelta(hours=int(u + 50 * j)))
            )
    return pd.DataFrame(rows, columns=["user_id", "item_id", "weight", "timestamp"])


def item_categories(n_items: int = 48) -> pd.DataFrame:
    per = n_items // len(CATEGORIES)
    return pd.DataFrame(
        {
            "item_id": [f"c{i}" for i in range(n_items)],
            "category": [CATEGORIES[i // per] for i in range(n_items)],
        }
    )


def make_payments(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Fraud is driven by a high amount, a risky country and night-time hours."""
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(3.0, 1.0, n)
    country = rng.choice(["IN", "US", "GB", "XX"], n, p=[0.5, 0.25, 0.2, 0.05])
    hour = rng.integers(0, 24, n)
    noise = rng.normal(0, 1, n)
    logit = -5.0 + 1.6 * (np.log1p(amount) - 3.0) + 2.5 * (country == "XX") + 1.0 * (hour < 5) + 0.3 * noise
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"amount": amount, "country": country, "hour": hour, "noise": noise, "is_fraud": y})


FRAUD_FEATURES = ["amount", "country", "hour", "noise"]
FAST_FRAUD = {  # the defaults (tree member included) with one small, quick network member
    "n_models": 1,
    "hidden": [32, 16],
    "max_epochs": 8,
    "patience": 3,
    "batch_size": 512,
    "lr": 0.01,
    "num_threads": 1,
}
