"""Feature preprocessing for the fraud scorer: fitted on train only, applied everywhere.

Numeric columns: median imputation, ``log1p`` for heavy-tailed non-negative columns
(amounts), standardisation, clipping far outliers (a few extreme values would otherwise
dominate the first layer). Categorical columns: a vocabulary of values seen at least
``min_count`` times; index 0 is "unknown" so unseen merchants/countries at serving time
map to a learned embedding instead of crashing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

CLIP = 20.0


@dataclass
class Preprocessor:
    numeric: list[str]
    categorical: list[str]
    medians: dict[str, float] = field(default_factory=dict)
    log_cols: list[str] = field(default_factory=list)
    means: dict[str, float] = field(default_factory=dict)
    stds: dict[str, float] = field(default_factory=dict)
    vocab: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def fit(
        cls, df: pd.DataFrame, numeric: list[str], categorical: list[str], min_count: int = 5
    ) -> Preprocessor:
        p = cls(numeric=list(numeric), categorical=list(categorical))
        for col in numeric:
            x = pd.to_numeric(df[col], errors="coerce").astype(float)
            med = float(x.median()) if x.notna().any() else 0.0
            p.medians[col] = med
            x = x.fillna(med)
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
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Preprocessor:
        return cls(**d)
