"""Drift monitoring of the fraud model: PSI per feature and on scores, as Dagster checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from dagster import AssetCheckSeverity

from dagster_project.assets.models import drift_check_results
from models.fraud_monitoring import (
    BLOCK_PSI,
    WARN_PSI,
    drift_report,
    psi_categorical,
    psi_numeric,
    served_window,
)


class _AmountModel:
    """A deterministic scorer: the share of the way to 10,000 minor units (scores follow amounts)."""

    def predict_proba(self, df: pd.DataFrame) -> np.ndarray:
        return np.clip(df["amount_minor"].to_numpy(dtype=float) / 10_000, 0, 1)


def _frame(n: int, rng: np.random.Generator, amount_mean: float = 2_000.0, upi_share: float = 0.3) -> pd.DataFrame:
    return pd.DataFrame({
        "amount_minor": rng.gamma(2.0, amount_mean / 2.0, n),
        "method": np.where(rng.random(n) < upi_share, "upi", "card"),
        "country": rng.choice(["IN", "US", "GB"], n, p=[0.8, 0.15, 0.05]),
    })


def test_psi_is_near_zero_for_the_same_population_and_large_for_a_shift():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 20_000), rng.normal(0, 1, 20_000)
    assert psi_numeric(a, b) < 0.01
    assert psi_numeric(a, rng.normal(1.0, 1, 20_000)) > BLOCK_PSI
    cats = pd.Series(rng.choice(["x", "y"], 10_000, p=[0.5, 0.5]))
    assert psi_categorical(cats, pd.Series(rng.choice(["x", "y"], 10_000, p=[0.5, 0.5]))) < 0.01
    assert psi_categorical(cats, pd.Series(rng.choice(["x", "y", "z"], 10_000, p=[0.2, 0.3, 0.5]))) > BLOCK_PSI


def test_stable_traffic_passes_both_checks():
    rng = np.random.default_rng(5)
    drift = drift_report(_frame(20_000, rng), _frame(5_000, rng), ["amount_minor", "method", "country"], _AmountModel())
    assert drift.blockers() == []
    assert all(r.passed for r in drift_check_results(drift))


def test_a_drifted_feature_trips_the_check_and_blocks_promotion():
    rng = np.random.default_rng(8)
    served = _frame(5_000, rng, upi_share=0.85)  # payment method mix moved from card to UPI
    drift = drift_report(_frame(20_000, rng), served, ["amount_minor", "method", "country"], _AmountModel())
    assert drift.features["method"] >= BLOCK_PSI and drift.features["amount_minor"] < WARN_PSI
    assert drift.blockers() and "method drifted" in drift.blockers()[0]
    feature, score = drift_check_results(drift)
    assert (feature.check_name, feature.passed, feature.severity) == ("feature_drift", False, AssetCheckSeverity.ERROR)
    assert score.passed  # the scorer reads amounts only: its scores did not move


def test_drifted_amounts_move_the_scores_too():
    rng = np.random.default_rng(9)
    drift = drift_report(_frame(20_000, rng), _frame(5_000, rng, amount_mean=3_000.0),
                         ["amount_minor"], _AmountModel())
    assert drift.score is not None and drift.score >= WARN_PSI
    assert not drift_check_results(drift)[1].passed


def test_served_window_splits_off_the_last_days():
    ts = pd.date_range("2026-03-01", periods=30, freq="D", tz="UTC")
    ref, cur = served_window(pd.DataFrame({"event_timestamp": ts}), days=7)
    assert (len(ref), len(cur)) == (23, 7)
