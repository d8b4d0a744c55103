"""Drift of served payments against a fraud model's training set: PSI per feature and on scores.

The population stability index compares two samples binned on the reference's quantiles
(numbers) or categories (text): ``sum((a - e) * ln(a / e))`` over bins. The usual reading,
used as the defaults here: below 0.1 stable, 0.1-0.25 worth a look (a warning), above 0.25
the population changed (promotion of a new model is blocked until someone looks: a
model trained on data unlike today's traffic, or scoring today's traffic unlike its
training data, is not a safe champion). The score PSI compares the model's own scores on
its training sample with its scores on the served sample, which catches drift the
per-feature view misses (several small shifts that add up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

WARN_PSI = 0.1
BLOCK_PSI = 0.25
_EPS = 1e-4  # floor of a bin share, so an empty bin costs a large but finite amount


def psi_numeric(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if len(ref) == 0 or len(cur) == 0:
        return float("nan")
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1) / len(ref)
    a = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1) / len(cur)
    return _psi(e, a)


def psi_categorical(reference: pd.Series, current: pd.Series, top: int = 20) -> float:
    ref, cur = reference.astype(str), current.astype(str)
    if len(ref) == 0 or len(cur) == 0:
        return float("nan")
    keep = list(ref.value_counts().index[:top])
    def shares(s: pd.Series) -> np.ndarray:
        mapped = s.where(s.isin(keep), "__other__")
        return mapped.value_counts(normalize=True).reindex([*keep, "__other__"], fill_value=0.0).to_numpy()
    return _psi(shares(ref), shares(cur))


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e, a = np.clip(expected, _EPS, None), np.clip(actual, _EPS, None)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class DriftReport:
    features: dict[str, float]
    score: float | None
    n_reference: int
    n_current: int
    warn_psi: float = WARN_PSI
    block_psi: float = BLOCK_PSI

    def worst(self) -> tuple[str, float]:
        values = {**self.features, **({"score": self.score} if self.score is not None else {})}
        finite = {k: v for k, v in values.items() if np.isfinite(v)}
        return max(finite.items(), key=lambda kv: kv[1]) if finite else ("", 0.0)

    def over(self, threshold: float) -> list[str]:
        values = {**self.features, **({"score": self.score} if self.score is not None else {})}
        return sorted(k for k, v in values.items() if np.isfinite(v) and v >= threshold)

    def blockers(self) -> list[str]:
        """Why a new model must not be promoted (empty: nothing drifted past ``block_psi``)."""
        return [f"{name} drifted (PSI {self.features.get(name, self.score):.3f} >= {self.block_psi})"
                for name in self.over(self.block_psi)]

    def to_dict(self) -> dict[str, Any]:
        return {"features": self.features, "score": self.score, "n_reference": self.n_reference,
                "n_current": self.n_current, "warn_psi": self.warn_psi, "block_psi": self.block_psi,
                "over_warn": self.over(self.warn_psi), "over_block": self.over(self.block_psi)}


def drift_report(reference: pd.DataFrame, current: pd.DataFrame, features: list[str], model: Any = None,
                 *, warn_psi: float = WARN_PSI, block_psi: float = BLOCK_PSI) -> DriftReport:
    """PSI of each of ``features`` (and of ``model``'s scores, when given) from ``reference`` to ``current``."""
    out: dict[str, float] = {}
    for f in features:
        if f not in reference or f not in current:
            continue
        if pd.api.types.is_numeric_dtype(reference[f]) and not pd.api.types.is_bool_dtype(reference[f]):
            out[f] = psi_numeric(reference[f].to_numpy(), current[f].to_numpy())
        else:
            out[f] = psi_categorical(reference[f], current[f])
    score = None
    if model is not None and len(reference) and len(current):
        score = psi_numeric(model.predict_proba(reference), model.predict_proba(current))
    return DriftReport(out, score, len(reference), len(current), warn_psi, block_psi)


def served_window(df: pd.DataFrame, days: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, current): everything before the last ``days`` days of ``df`` and those days.

    On the platform the last days of ``payments_labeled`` are the payments most recently
    served by the scorer; the rest is what a model trained now learns from.
    """
    ts = pd.to_datetime(df["event_timestamp"], utc=True)
    cut = ts.max() - pd.Timedelta(days=days)
    return df[ts <= cut], df[ts > cut]
