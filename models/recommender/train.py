"""Fit a recommender from an interactions frame.

The frame is plain pandas (``user_id, item_id, weight, timestamp``) so this module does
not care whether it came from the Spark ``interactions`` table, MovieLens or a test.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.errors import TrainingInputError, require_columns
from models.recommender.model import RecommenderModel, RecommenderParams

REQUIRED = ["user_id", "item_id", "weight", "timestamp"]


def validate_interactions(interactions: pd.DataFrame) -> pd.DataFrame:
    """Check shape and types; returns the frame with duplicate pairs summed."""
    require_columns(interactions, REQUIRED, "interactions")
    df = interactions[REQUIRED]
    if df["user_id"].isna().any() or df["item_id"].isna().any():
        raise TrainingInputError("interactions: user_id and item_id must not contain nulls")
    if not pd.api.types.is_numeric_dtype(df["weight"]):
        raise TrainingInputError(f"interactions: weight must be numeric, got dtype {df['weight'].dtype}")
    weight = df["weight"].astype(float)
    if not np.isfinite(weight).all() or (weight < 0).any():
        raise TrainingInputError("interactions: weight must be finite and non-negative")
    df = df.assign(weight=weight)[weight > 0]
    if df.empty:
        raise TrainingInputError("interactions: every weight is zero; there is nothing to learn from")
    return df.groupby(["user_id", "item_id"], as_index=False, sort=True).agg(
        weight=("weight", "sum"), timestamp=("timestamp", "max")
    )


def build_matrix(df: pd.DataFrame) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Users x items CSR of weights, with the sorted id arrays indexing its rows/columns."""
    users, u_idx = np.unique(df["user_id"].to_numpy(), return_inverse=True)
    items, i_idx = np.unique(df["item_id"].to_numpy(), return_inverse=True)
    m = sp.csr_matrix(
        (df["weight"].to_numpy(dtype=np.float32), (u_idx, i_idx)), shape=(len(users), len(items))
    )
    m.sum_duplicates()
    return m, users, items


def _weighted(m: sp.csr_matrix, p: RecommenderParams) -> sp.csr_matrix:
    if p.weighting == "bm25":
        from implicit.nearest_neighbours import bm25_weight

        return bm25_weight(m, K1=p.bm25_k1, B=p.bm25_b).tocsr().astype(np.float32)
    if p.weighting == "log":
        out = m.copy()
        out.data = np.log1p(out.data).astype(np.float32)
        return out
    return m


def train_recommender(
    interactions: pd.DataFrame,
    params: RecommenderParams | Mapping[str, Any] | None = None,
    item_categories: Mapping[Any, list[str]] | pd.DataFrame | None = None,
) -> RecommenderModel:
    """Train ``params.algorithm`` (als, bpr, popular, itemknn) and return the model.

    ``item_categories`` (``item_id -> [category, ...]`` or a frame ``item_id, category``)
    powers cold start for new learners: popular courses within their stated interests.
    Deterministic under ``params.seed``.
    """
    p = RecommenderParams.from_any(params)
    df = validate_interactions(interactions)
    m, users, items = build_matrix(df)
    if m.shape[1] < 2:
        raise TrainingInputError("interactions: need at least two distinct items to recommend")
    started = time.perf_counter()
    popularity = np.asarray((m > 0).sum(axis=0), dtype=np.float32).ravel()
    user_factors = item_factors = None
    item_sim = None
    if p.algorithm in {"als", "bpr"}:
        user_factors, item_factors = _fit_factors(_weighted(m, p), p)
    elif p.algorithm == "itemknn":
        item_sim = _fit_itemknn(_weighted(m, p), p.neighbors)
    cats = _categories(item_categories)
    return RecommenderModel(
        params=p,
        user_ids=_as_ids(users),
        item_ids=_as_ids(items),
        seen=m,
        popularity=popularity,
        user_factors=user_factors,
        item_factors=item_factors,
        item_sim=item_sim,
        item_categories=cats,
        metadata={
            "n_users": int(m.shape[0]),
            "n_items": int(m.shape[1]),
            "n_interactions": int(m.nnz),
            "train_seconds": round(time.perf_counter() - started, 4),
            "max_timestamp": str(df["timestamp"].max()),
        },
    )


def _fit_factors(m: sp.csr_matrix, p: RecommenderParams) -> tuple[np.ndarray, np.ndarray]:
    # Import before limiting threads: importing implicit can load another BLAS copy.
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.cpu.bpr import BayesianPersonalizedRanking
    from threadpoolctl import threadpool_limits

    # implicit runs its own threads; nested BLAS threads only oversubscribe the cores.
    with threadpool_limits(1, "blas"):
        if p.algorithm == "als":
            model = AlternatingLeastSquares(
                factors=p.factors,
                regularization=p.regularization,
                alpha=p.alpha,
                iterations=p.iterations,
                random_state=p.seed,
                num_threads=p.num_threads,
                calculate_training_loss=False,
            )
        else:
            # BPR's parallel SGD is hogwild (racy): one thread keeps it reproducible.
            model = BayesianPersonalizedRanking(
                factors=p.factors,
                learning_rate=p.learning_rate,
                regularization=p.regularization,
                iterations=p.iterations,
                random_state=p.seed,
                num_threads=1,
            )
        model.fit(m, show_progress=False)
    return np.ascontiguousarray(model.user_factors, dtype=np.float32), np.ascontiguousarray(
        model.item_factors, dtype=np.float32
    )


def _fit_itemknn(m: sp.csr_matrix, neighbors: int) -> sp.csr_matrix:
    """Cosine item-item similarity, pruned to the top ``neighbors`` per item."""
    items = m.T.tocsr().astype(np.float32)
    norms = np.sqrt(np.asarray(items.multiply(items).sum(axis=1))).ravel()
    items = sp.diags(1.0 / np.where(norms == 0, 1.0, norms)) @ items
    sim = (items @ items.T).tocsr()
    sim.setdiag(0)
    sim.eliminate_zeros()
    rows, cols, vals = [], [], []
    for i in range(sim.shape[0]):
        start, end = sim.indptr[i], sim.indptr[i + 1]
        if end == start:
            continue
        data, idx = sim.data[start:end], sim.indices[start:end]
        if len(data) > neighbors:
            keep = np.argpartition(-data, neighbors - 1)[:neighbors]
            data, idx = data[keep], idx[keep]
        rows.append(np.full(len(idx), i))
        cols.append(idx)
        vals.append(data)
    if not rows:
        return sp.csr_matrix(sim.shape, dtype=np.float32)
    # stored as item(seen) x item(candidate) so scores = seen_row @ item_sim
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=sim.shape
    ).tocsr()


def _categories(item_categories: Mapping[Any, list[str]] | pd.DataFrame | None) -> dict[Any, list[str]]:
    if item_categories is None:
        return {}
    if isinstance(item_categories, pd.DataFrame):
        require_columns(item_categories, ["item_id", "category"], "item_categories")
        grouped = item_categories.dropna().groupby("item_id")["category"].apply(lambda s: sorted(set(s)))
        return {_py(k): list(v) for k, v in grouped.items()}
    return {_py(k): list(v) for k, v in item_categories.items()}


def _py(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _as_ids(values: np.ndarray) -> np.ndarray:
    if np.issubdtype(values.dtype, np.integer):
        return values.astype(np.int64)
    out = np.empty(len(values), dtype=object)
    out[:] = [_py(v) for v in values]
    return out
