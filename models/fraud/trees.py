"""The gradient-boosted tree member of the fraud scorer, blended with the network in log-odds.

Why a blend: on tabular fraud data the network (smooth in its inputs) and boosted trees
(axis-aligned splits) make different mistakes, and the average of their log-odds ranks
better than either alone (measured on the ULB data: ``docs/models.md``). Both members
produce log-odds on the same scale (the network's loss is re-weighted to the full data's,
the trees fit plain log-loss), so the blend is a fixed average, ``tree_weight`` of the
tree, chosen before looking at any test split; Platt calibration is fitted on the
blended validation logits afterwards, so probabilities stay calibrated.

The trees see the raw numeric columns (splits need no scaling) and the categoricals as the
preprocessor's integer codes; they train on the network's training rows and stop early
on its validation rows (PR-AUC), so no row is scored by a member that trained on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.fraud.preprocess import Preprocessor

TREE_FILE = "tree.json"


@dataclass
class TreeMember:
    kind: str  # "xgboost"
    weight: float  # share of the blended log-odds
    booster: Any  # xgboost.Booster
    rounds: int

    @staticmethod
    def design(df: pd.DataFrame, pre: Preprocessor) -> np.ndarray:
        num = df[pre.numeric].to_numpy(dtype=np.float32) if pre.numeric else np.zeros((len(df), 0), np.float32)
        if not pre.categorical:
            return num
        return np.concatenate([num, pre.categorical_matrix(df).astype(np.float32)], axis=1)

    def margin(self, df: pd.DataFrame, pre: Preprocessor) -> np.ndarray:
        """Log-odds of fraud per row."""
        return np.asarray(self.booster.inplace_predict(self.design(df, pre), predict_type="margin"), dtype=float)

    def save(self, path: Path) -> dict[str, Any]:
        self.booster.save_model(str(path / TREE_FILE))
        return {"kind": self.kind, "weight": self.weight, "rounds": self.rounds, "file": TREE_FILE}

    @classmethod
    def load(cls, path: Path, meta: dict[str, Any]) -> TreeMember:
        import xgboost as xgb

        booster = xgb.Booster()
        booster.load_model(str(path / meta["file"]))
        booster.set_param({"nthread": 1})
        return cls(kind=meta["kind"], weight=float(meta["weight"]), booster=booster, rounds=int(meta["rounds"]))


def fit_tree_member(df: pd.DataFrame, y: np.ndarray, pre: Preprocessor, tr_idx: np.ndarray, va_idx: np.ndarray,
                    *, weight: float, seed: int, num_threads: int) -> TreeMember:
    """XGBoost with the settings commonly published for this kind of data (depth 6, lr 0.05,
    up to 1,000 rounds, early stopping on validation ``aucpr`` after 100 stale rounds)."""
    import xgboost as xgb

    x = TreeMember.design(df, pre)
    dtrain = xgb.DMatrix(x[tr_idx], label=y[tr_idx])
    dval = xgb.DMatrix(x[va_idx], label=y[va_idx])
    params = {"objective": "binary:logistic", "eval_metric": "aucpr", "eta": 0.05, "max_depth": 6,
              "subsample": 0.8, "colsample_bytree": 0.8, "tree_method": "hist", "seed": seed,
              "nthread": max(1, num_threads)}
    booster = xgb.train(params, dtrain, num_boost_round=1000, evals=[(dval, "val")], early_stopping_rounds=100,
                        verbose_eval=False)
    best = int(booster.best_iteration) + 1
    booster = booster[:best]  # keep only the rounds up to the best validation score
    booster.set_param({"nthread": 1})
    return TreeMember(kind="xgboost", weight=weight, booster=booster, rounds=best)
