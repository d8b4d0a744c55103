"""Feature preprocessing for the fraud scorer: fitted on train only, applied everywhere.

Numeric columns: median imputation, then one of two transforms:

* ``"standard"`` (default): ``log1p`` for heavy-tailed non-negative columns (amounts),
  standardisation, clipping far outliers (a few extreme values would otherwise dominate
  the first layer).
* ``"quantile"`` (rank-Gauss): each column goes through its training-set empirical CDF
  (``QUANTILES`` knots, linear in between, ties averaged) and then the standard normal
  inverse CDF, so heavy-tailed columns (the PCA components V1..V28 of the ULB data) become
  roughly N(0, 1) with their order kept. Values outside the training range map to the
  end knots (|z| <= ``QUANTILE_Z``), so unseen extremes stay in range.
 Categorical columns: a vocabulary of values seen at least
``min_count`` times; index 0 is "unknown" so unseen merchants/countries at serving time
map to a learned embedding instead of crashing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

CLIP = 20.0
QUANTILES = 1001
QUANTILE_EPS = 1e-4  # CDF clipped to [eps, 1 - eps] before the normal inverse
TRANSFORMS = ("standard", "quantile")


def _knots(x: np.ndarray, n: int = QUANTILES) -> tuple[list[float], list[float]]:
    """Empirical-CDF knots (strictly increasing values, their mean CDF level over ties)."""
    levels = np.linspace(0.0, 1.0, n)
    q = np.quantile(x, levels)
    values, inverse = np.unique(q, return_inverse=True)
    cdf = np.bincount(inverse, weights=levels) / np.bincount(inverse)
    if len(values) == 1:  # constant column: everything maps to the median level
        cdf = np.array([0.5])
    return values.tolist(), cdf.tolist()


def _rank_gauss(x: np.ndarray, values: list[float], cdf: list[float]) -> np.ndarray:
    from scipy.special import ndtri

    u = np.interp(x, values, cdf)  # outside the training range: the end knots
    return ndtri(np.clip(u, QUANTILE_EPS, 1 - QUANTILE_EPS))


QUANTILE_Z = float(-_rank_gauss(np.array([-np.inf]), [0.0, 1.0], [0.0, 1.0])[0])


@dataclass
class Preprocessor:
    numeric: list[str]
    categorical: list[str]
    medians: dict[str, float] = field(default_factory=dict)
    log_cols: list[str] = field(default_factory=list)
    means: dict[str, float] = field(default_factory=dict)
    stds: dict[str, float] = field(default_factory=dict)
    vocab: dict[str, list[str]] = field(default_factory=dict)
    transform: str = "standard"
    # "quantile" only: per column, increasing knot values and their CDF levels
    quantiles: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)

    @classmethod
    def fit(
        cls,
        df: pd.DataFrame,
        numeric: list[str],
        categorical: list[str],
        min_count: int = 5,
        transform: str = "standard",
    ) -> Preprocessor:
        if transform not in TRANSFORMS:
            raise ValueError(f"numeric transform {transform!r}: choose one of {list(TRANSFORMS)}")
        p = cls(numeric=list(numeric), categorical=list(categorical), transform=transform)
        for col in numeric:
            x = pd.to_numeric(df[col], errors="coerce").astype(float)
            med = float(x.median()) if x.notna().any() else 0.0
            p.medians[col] = med
            x = x.fillna(med)
            if transform == "quantile":
                p.quantiles[col] = _knots(x.to_numpy())
                continue
            if x.min() >= 0 and x.skew() > 2.0:
                p.log_cols.append(col)
                x = np.log1p(x)
            p.means[col] = float(x.mean())
            std = float(x.std())
            p.stds[col] = std if std > 1e-9 else 1.0
        for col in categorical:
            counts = df[col].astype(str).value_counts()
            p.vocab[col] = sorted(counts[counts >= min_count].index.tolist())
        return p

    def numeric_matrix(self, df: pd.DataFrame) -> np.ndarray:
        if not self.numeric:
            return np.zeros((len(df), 0), dtype=np.float32)
        cols = []
        for col in self.numeric:
            x = pd.to_numeric(df[col], errors="coerce").astype(float).fillna(self.medians[col]).to_numpy()
            if self.transform == "quantile":
                cols.append(_rank_gauss(x, *self.quantiles[col]))
                continue
            if col in self.log_cols:
                x = np.log1p(np.clip(x, 0, None))
            cols.append(np.clip((x - self.means[col]) / self.stds[col], -CLIP, CLIP))
        return np.stack(cols, axis=1).astype(np.float32)

    def categorical_matrix(self, df: pd.DataFrame) -> np.ndarray:
        if not self.categorical:
            return np.zeros((len(df), 0), dtype=np.int64)
        cols = []
        for col in self.categorical:
            index = {v: i + 1 for i, v in enumerate(self.vocab[col])}
            cols.append(df[col].astype(str).map(index).fillna(0).to_numpy(dtype=np.int64))
        return np.stack(cols, axis=1)

    def cardinalities(self) -> list[int]:
        return [len(self.vocab[c]) + 1 for c in self.categorical]

    def to_dict(self) -> dict[str, Any]:
        return {
            "numeric": self.numeric,
            "categorical": self.categorical,
            "medians": self.medians,
            "log_cols": self.log_cols,
            "means": self.means,
            "stds": self.stds,
            "vocab": self.vocab,
            "transform": self.transform,
            "quantiles": {c: [list(v), list(q)] for c, (v, q) in self.quantiles.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Preprocessor:
        d = dict(d)  # models saved before the quantile option have neither key: "standard"
        d["quantiles"] = {c: (list(v), list(q)) for c, (v, q) in d.get("quantiles", {}).items()}
        return cls(**d)
