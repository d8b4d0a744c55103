"""Offline evaluation of recommenders: splits and top-k ranking metrics.

Metric definitions follow microsoft/recommenders (``python_evaluation``) so the
MovieLens numbers are comparable with their benchmark table: binary relevance,
precision@k = hits / k, recall@k = hits / |relevant|, NDCG@k with log2 discount and an
ideal DCG over min(k, |relevant|) items, MAP@k averaging precision at each hit over
min(k, |relevant|) (``map_at_k``); we also report their older MAP that divides by
|relevant| (``map``), which is what their published table shows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def stratified_random_split(
    df: pd.DataFrame, ratio: float = 0.75, seed: int = 42, user_col: str = "user_id"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-user random split: each user keeps ``ratio`` of their rows in train.

    Same idea as ``python_stratified_split`` in microsoft/recommenders; users with a
    single row stay entirely in train.
    """
    rng = np.random.default_rng(seed)
    shuffled = df.iloc[rng.permutation(len(df))]
    rank = shuffled.groupby(user_col).cumcount()
    size = shuffled.groupby(user_col)[user_col].transform("size")
    in_train = rank < np.maximum(1, np.round(size * ratio)).astype(int)
    return shuffled[in_train.to_numpy()].sort_index(), shuffled[~in_train.to_numpy()].sort_index()


def time_holdout_split(
    df: pd.DataFrame, test_fraction: float = 0.2, ts_col: str = "timestamp", user_col: str = "user_id"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Global time cut: the latest ``test_fraction`` of rows are the future.

    Test rows of users never seen before the cut are dropped (they are a cold-start
    problem, evaluated separately), so metrics measure what the model could know.
    """
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must be in (0, 1)")
    cut = df[ts_col].quantile(1 - test_fraction)
    train = df[df[ts_col] <= cut]
    test = df[df[ts_col] > cut]
    test = test[test[user_col].isin(set(train[user_col]))]
    return train, test


def ranking_metrics(
    recs: pd.DataFrame,
    truth: pd.DataFrame,
    k: int = 10,
    n_catalog: int | None = None,
    train: pd.DataFrame | None = None,
) -> dict[str, float]:
    """Top-k metrics averaged over users in ``truth`` (users without recs score 0).

    ``recs``: ``user_id, item_id, rank``; ``truth``: ``user_id, item_id`` (relevant items).
    Coverage = distinct recommended items / ``n_catalog``; novelty = mean self-information
    ``-log2(popularity share)`` of recommended items, popularity from ``train``.
    """
    recs = recs[recs["rank"] <= k]
    relevant = truth.groupby("user_id")["item_id"].apply(set).to_dict()
    rec_lists = recs.sort_values(["user_id", "rank"]).groupby("user_id")["item_id"].apply(list).to_dict()
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    prec, rec, ndcg, map_k, map_all = [], [], [], [], []
    for user, rel in relevant.items():
        items = rec_lists.get(user, [])[:k]
        hits = np.array([it in rel for it in items], dtype=float)
        n_hit = hits.sum()
        prec.append(n_hit / k)
        rec.append(n_hit / len(rel))
        dcg = float((hits * discounts[: len(hits)]).sum())
        idcg = float(discounts[: min(k, len(rel))].sum())
        ndcg.append(dcg / idcg)
        if n_hit:
            precision_at_hit = np.cumsum(hits) / np.arange(1, len(hits) + 1)
            ap = float((precision_at_hit * hits).sum())
            map_k.append(ap / min(k, len(rel)))
            map_all.append(ap / len(rel))
        else:
            map_k.append(0.0)
            map_all.append(0.0)
    out = {
        f"precision@{k}": float(np.mean(prec)),
        f"recall@{k}": float(np.mean(rec)),
        f"ndcg@{k}": float(np.mean(ndcg)),
        f"map@{k}": float(np.mean(map_k)),
        "map": float(np.mean(map_all)),
        "n_eval_users": float(len(relevant)),
    }
    if n_catalog:
        out["coverage"] = float(recs["item_id"].nunique() / n_catalog)
    if train is not None and len(recs):
        n_users = train["user_id"].nunique()
        pop = train.groupby("item_id")["user_id"].nunique()
        share = recs["item_id"].map(pop).fillna(0).to_numpy(dtype=float) / max(n_users, 1)
        out["novelty"] = float(np.mean(-np.log2(np.clip(share, 1.0 / max(n_users, 1), 1.0))))
    return out


def evaluate_recommender(
    model: Any, train: pd.DataFrame, test: pd.DataFrame, k: int = 10
) -> dict[str, float]:
    """Recommend for every test user (excluding train items) and score against ``test``."""
    users = test["user_id"].unique().tolist()
    recs = model.recommend(users, k=k, exclude_seen=True)
    return ranking_metrics(recs, test, k=k, n_catalog=train["item_id"].nunique(), train=train)
