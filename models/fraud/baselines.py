"""Baselines trained on exactly the same split and preprocessing as the torch model.

Logistic regression (class-balanced, on the standardised numerics + one-hot
categoricals) is the "is the network worth it" floor; LightGBM is the strong tabular
reference the torch model has to match. XGBoost (optional ``bench`` extra) is the model
behind the published ULB numbers, run here on the same splits so those numbers can be
told apart from split-to-split noise.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from models.fraud.preprocess import Preprocessor
from models.fraud.train import split_categorical, stratified_split, validate_training_frame


def _design(pre: Preprocessor, df: pd.DataFrame) -> np.ndarray:
    num = pre.numeric_matrix(df)
    cat = pre.categorical_matrix(df)
    blocks = [num]
    for j, card in enumerate(pre.cardinalities()):
        onehot = np.zeros((len(df), card), dtype=np.float32)
        onehot[np.arange(len(df)), cat[:, j]] = 1.0
        blocks.append(onehot)
    return np.concatenate(blocks, axis=1)


def train_baselines(
    df: pd.DataFrame,
    label: str,
    features: list[str],
    seed: int = 42,
    val_fraction: float = 0.15,
    which: tuple[str, ...] = ("logreg", "lightgbm"),
) -> dict[str, Any]:
    """Fit the baselines; returns ``name -> predict(df) -> probabilities`` plus train times."""
    from sklearn.linear_model import LogisticRegression

    y = validate_training_frame(df, label, features)
    numeric, categorical = split_categorical(df, features, None)
    if "xgboost" in which and categorical:  # before any model trains
        raise ValueError(f"the xgboost reference takes numeric features only, got {categorical}")
    tr_idx, va_idx = stratified_split(y, val_fraction, seed)
    pre = Preprocessor.fit(df.iloc[tr_idx], numeric, categorical)
    out: dict[str, Any] = {"seconds": {}}
    if "logreg" in which:
        t = time.perf_counter()
        lr = LogisticRegression(class_weight="balanced", max_iter=2000, C=1.0)
        lr.fit(_design(pre, df.iloc[tr_idx]), y[tr_idx])
        out["seconds"]["logreg"] = time.perf_counter() - t
        out["logreg"] = lambda d: lr.predict_proba(_design(pre, d))[:, 1]
    if "lightgbm" in which:
        import lightgbm as lgb

        t = time.perf_counter()

        def lgb_frame(d: pd.DataFrame) -> pd.DataFrame:
            x = pd.DataFrame(pre.numeric_matrix(d), columns=numeric, index=d.index)
            for j, c in enumerate(categorical):
                x[c] = pd.Categorical(
                    pre.categorical_matrix(d)[:, j], categories=range(pre.cardinalities()[j])
                )
            return x

        clf = lgb.LGBMClassifier(
            n_estimators=1000,
            learning_rate=0.03,
            num_leaves=31,
            min_child_samples=20,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            random_state=seed,
            n_jobs=2,
            verbose=-1,
            deterministic=True,
        )
        clf.fit(
            lgb_frame(df.iloc[tr_idx]),
            y[tr_idx],
            eval_X=(lgb_frame(df.iloc[va_idx]),),
            eval_y=(y[va_idx],),
            eval_metric="average_precision",
            callbacks=[lgb.early_stopping(100, verbose=False)],
        )
        out["seconds"]["lightgbm"] = time.perf_counter() - t
        out["lightgbm"] = lambda d: clf.predict_proba(lgb_frame(d))[:, 1]
    if "xgboost" in which:
        # as commonly published for this data: raw numerics (trees need no scaling),
        # histogram trees, early stopping on validation PR-AUC (``aucpr``)
        import xgboost as xgb

        t = time.perf_counter()
        booster = xgb.XGBClassifier(
            n_estimators=1000,
            learning_rate=0.05,
            max_depth=6,
            subsample=0.8,
            colsample_bytree=0.8,
            tree_method="hist",
            eval_metric="aucpr",
            early_stopping_rounds=100,
            random_state=seed,
            n_jobs=2,
        )
        x = df[numeric].to_numpy(dtype=np.float32)
        booster.fit(x[tr_idx], y[tr_idx], eval_set=[(x[va_idx], y[va_idx])], verbose=False)
        out["seconds"]["xgboost"] = time.perf_counter() - t
        out["xgboost"] = lambda d: booster.predict_proba(d[numeric].to_numpy(dtype=np.float32))[:, 1]
    return out


def xgboost_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("xgboost") is not None
