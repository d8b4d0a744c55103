"""A trained recommender: pure numpy scoring, independent of the training library.

Why not keep the ``implicit`` model object? Scoring is a matrix product plus a mask;
holding plain arrays makes the popularity, item-item, ALS and BPR models share one
``recommend``/``similar_items`` path, makes ``save``/``load`` a couple of ``.npz``
files (no pickles of C-extension objects), and lets the serving process load a model
without initialising OpenBLAS thread pools for training.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.artifacts import read_manifest, write_manifest

KIND = "recommender"
FORMAT_VERSION = 1
_CHUNK = 1024


@dataclass
class RecommenderParams:
    """Hyper-parameters; everything here is logged to MLflow as run params."""

    algorithm: str = "als"  # als | bpr | popular | itemknn
    factors: int = 64
    regularization: float | None = None  # None: 50 for ALS (implicit does not scale by counts), 0.01 for BPR
    alpha: float = 2.0  # ALS confidence scale applied to the (weighted) matrix
    iterations: int = 15
    learning_rate: float = 0.01  # BPR only
    neighbors: int = 100  # itemknn only
    weighting: str = "none"  # bm25 | log | none: transform of the weight matrix before fitting
    bm25_k1: float = 100.0
    bm25_b: float = 0.8
    seed: int = 42
    num_threads: int = 0  # 0 = all cores (ALS is deterministic across threads; BPR forces 1)

    def __post_init__(self) -> None:
        if self.regularization is None:
            self.regularization = 0.01 if self.algorithm == "bpr" else 50.0

    @classmethod
    def from_any(cls, params: RecommenderParams | Mapping[str, Any] | None) -> RecommenderParams:
        from models.errors import TrainingInputError

        if params is None:
            return cls()
        if isinstance(params, cls):
            return params
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(params) - known)
        if unknown:
            raise TrainingInputError(f"unknown recommender params {unknown}; known: {sorted(known)}")
        out = cls(**dict(params))
        if out.algorithm not in {"als", "bpr", "popular", "itemknn"}:
            raise TrainingInputError(
                f"unknown algorithm {out.algorithm!r}; use one of als, bpr, popular, itemknn"
            )
        if out.weighting not in {"bm25", "log", "none"}:
            raise TrainingInputError(f"unknown weighting {out.weighting!r}; use bm25, log or none")
        return out


@dataclass
class RecommenderModel:
    """Learned state plus the id maps needed to speak in platform ids.

    ``user_factors @ item_factors.T`` gives scores for factor models; ``item_sim`` (items x
    items, sparse) for item-item; ``popularity`` (interacting users per item) for the
    popularity model and for cold start.
    """

    params: RecommenderParams
    user_ids: np.ndarray
    item_ids: np.ndarray
    seen: sp.csr_matrix  # users x items, training weights
    popularity: np.ndarray
    user_factors: np.ndarray | None = None
    item_factors: np.ndarray | None = None
    item_sim: sp.csr_matrix | None = None
    item_categories: dict[Any, list[str]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._user_index = {u: i for i, u in enumerate(self.user_ids.tolist())}
        self._item_index = {it: i for i, it in enumerate(self.item_ids.tolist())}
        self._unit_items: np.ndarray | None = None
        self._unit_cooc: sp.csr_matrix | None = None

    # ------------------------------------------------------------------ scoring
    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def _scores(self, rows: np.ndarray) -> np.ndarray:
        algo = self.params.algorithm
        if algo in {"als", "bpr"}:
            assert self.user_factors is not None and self.item_factors is not None
            return (self.user_factors[rows] @ self.item_factors.T).astype(np.float32)
        if algo == "itemknn":
            assert self.item_sim is not None
            return np.asarray((self.seen[rows] @ self.item_sim).todense(), dtype=np.float32)
        return np.broadcast_to(self.popularity.astype(np.float32), (len(rows), self.n_items)).copy()

    def recommend(
        self,
        user_ids: Iterable[Any],
        k: int = 10,
        exclude_seen: bool = True,
        interests: Mapping[Any, Sequence[str]] | None = None,
    ) -> pd.DataFrame:
        """Top-``k`` items per user as ``user_id, item_id, score, rank, reason``.

        Known users are scored by the model; items they already interacted with (enrolled
        courses) are removed when ``exclude_seen``. Unknown users get the cold-start path:
        the most popular items within their stated ``interests`` (categories from the
        ``item_categories`` given at training), topped up with globally popular items.
        """
        if k <= 0:
            raise ValueError("k must be a positive integer")
        users = list(user_ids)
        known = [u for u in users if u in self._user_index]
        frames: list[pd.DataFrame] = []
        for start in range(0, len(known), _CHUNK):
            chunk = known[start : start + _CHUNK]
            frames.append(self._recommend_known(chunk, k, exclude_seen))
        cold = [u for u in users if u not in self._user_index]
        if cold:
            frames.append(self._recommend_cold(cold, k, interests or {}))
        if not frames:
            return _empty_recs()
        out = pd.concat(frames, ignore_index=True)
        order = {u: i for i, u in enumerate(dict.fromkeys(users))}
        out["_o"] = out["user_id"].map(order)
        return out.sort_values(["_o", "rank"], kind="stable").drop(columns="_o").reset_index(drop=True)

    def _recommend_known(self, users: list[Any], k: int, exclude_seen: bool) -> pd.DataFrame:
        rows = np.fromiter((self._user_index[u] for u in users), dtype=np.int64, count=len(users))
        scores = self._scores(rows)
        if exclude_seen:
            seen = self.seen[rows]
            scores[seen.nonzero()] = -np.inf
        kk = min(k, self.n_items)
        top = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top_scores = np.take_along_axis(top_scores, order, axis=1)
        out_u, out_i, out_s, out_r, out_reason = [], [], [], [], []
        for n, row in enumerate(rows):
            valid = np.isfinite(top_scores[n])
            items = top[n][valid]
            reasons = self._reasons(int(row), items)
            for rank, (item, score, reason) in enumerate(
                zip(items, top_scores[n][valid], reasons, strict=True), start=1
            ):
                out_u.append(users[n])
                out_i.append(self.item_ids[item])
                out_s.append(float(score))
                out_r.append(rank)
                out_reason.append(reason)
        return pd.DataFrame(
            {"user_id": out_u, "item_id": out_i, "score": out_s, "rank": out_r, "reason": out_reason}
        )

    def _reasons(self, row: int, items: np.ndarray) -> list[str]:
        """One short sentence per recommended item: the user's own most similar past item."""
        if self.params.algorithm == "popular" or len(items) == 0:
            return ["popular with learners"] * len(items)
        seen_idx = self.seen[row].indices
        if len(seen_idx) == 0:
            return ["popular with learners"] * len(items)
        sim = self._item_similarity_block(items, seen_idx)  # len(items) x len(seen)
        best = np.argmax(sim, axis=1)
        return [f"because you engaged with {self.item_ids[seen_idx[b]]}" for b in best]

    def _item_similarity_block(self, items: np.ndarray, others: np.ndarray) -> np.ndarray:
        if self.item_factors is not None:
            unit = self._unit()
            return unit[items] @ unit[others].T
        if self.item_sim is not None:
            return np.asarray(self.item_sim[items][:, others].todense())
        m = self._cooccurrence_unit()
        return np.asarray((m[items] @ m[others].T).todense())

    def _unit(self) -> np.ndarray:
        if self._unit_items is None:
            assert self.item_factors is not None
            f = self.item_factors
            if self.params.algorithm == "bpr":
                f = f[:, :-1]  # last column is the item bias
            norms = np.linalg.norm(f, axis=1, keepdims=True)
            self._unit_items = (f / np.where(norms == 0, 1.0, norms)).astype(np.float32)
        return self._unit_items

    def _cooccurrence_unit(self) -> sp.csr_matrix:
        if self._unit_cooc is None:
            m = (self.seen.T.tocsr() > 0).astype(np.float32)
            norms = np.sqrt(np.asarray(m.sum(axis=1))).ravel()
            self._unit_cooc = (sp.diags(1.0 / np.where(norms == 0, 1.0, norms)) @ m).tocsr()
        return self._unit_cooc

    def _recommend_cold(
        self, users: list[Any], k: int, interests: Mapping[Any, Sequence[str]]
    ) -> pd.DataFrame:
        global_order = np.argsort(-self.popularity, kind="stable")
        rows: list[dict[str, Any]] = []
        for u in users:
            wanted = [c for c in interests.get(u, []) if c]
            picked: list[tuple[int, str]] = []
            if wanted and self.item_categories:
                for idx in global_order:
                    cats = self.item_categories.get(self.item_ids[idx], [])
                    hit = next((c for c in wanted if c in cats), None)
                    if hit is not None:
                        picked.append((int(idx), f"popular in {hit}"))
                    if len(picked) >= k:
                        break
            taken = {i for i, _ in picked}
            for idx in global_order:
                if len(picked) >= k:
                    break
                if int(idx) not in taken:
                    picked.append((int(idx), "popular with learners"))
            for rank, (idx, reason) in enumerate(picked, start=1):
                rows.append(
                    {
                        "user_id": u,
                        "item_id": self.item_ids[idx],
                        "score": float(self.popularity[idx]),
                        "rank": rank,
                        "reason": reason,
                    }
                )
        return pd.DataFrame(rows) if rows else _empty_recs()

    def similar_items(self, item_ids: Iterable[Any], k: int = 10) -> pd.DataFrame:
        """``item_id, similar_item_id, score, rank`` from item factors (cosine) or item-item sims.

        Unknown item ids produce no rows (the caller decides whether that is a 404).
        """
        if k <= 0:
            raise ValueError("k must be a positive integer")
        rows: list[dict[str, Any]] = []
        all_items = np.arange(self.n_items)
        for item in item_ids:
            idx = self._item_index.get(item)
            if idx is None:
                continue
            sims = np.asarray(self._item_similarity_block(np.array([idx]), all_items)).ravel().astype(float)
            sims[idx] = -np.inf
            kk = min(k, self.n_items - 1)
            if kk <= 0:
                continue
            top = np.argpartition(-sims, kk - 1)[:kk]
            top = top[np.argsort(-sims[top], kind="stable")]
            for rank, j in enumerate(top, start=1):
                if not np.isfinite(sims[j]):
                    continue
                rows.append(
                    {
                        "item_id": item,
                        "similar_item_id": self.item_ids[j],
                        "score": float(sims[j]),
                        "rank": rank,
                    }
                )
        return pd.DataFrame(rows, columns=["item_id", "similar_item_id", "score", "rank"])

    # ------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the model into directory ``path`` (created); returns it."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {"popularity": self.popularity}
        if self.user_factors is not None:
            arrays["user_factors"] = self.user_factors
        if self.item_factors is not None:
            arrays["item_factors"] = self.item_factors
        np.savez(path / "arrays.npz", **arrays)
        sp.save_npz(path / "seen.npz", self.seen)
        if self.item_sim is not None:
            sp.save_npz(path / "item_sim.npz", self.item_sim)
        return write_manifest(
            path,
            KIND,
            FORMAT_VERSION,
            params=asdict(self.params),
            user_ids=self.user_ids.tolist(),
            item_ids=self.item_ids.tolist(),
            item_categories=[[k, v] for k, v in self.item_categories.items()],
            metadata=self.metadata,
        )

    @classmethod
    def load(cls, path: str | Path) -> RecommenderModel:
        path = Path(path)
        meta = read_manifest(path, KIND, {FORMAT_VERSION})
        arrays = np.load(path / "arrays.npz")
        sim_file = path / "item_sim.npz"
        return cls(
            params=RecommenderParams(**meta["params"]),
            user_ids=_ids(meta["user_ids"]),
            item_ids=_ids(meta["item_ids"]),
            seen=sp.load_npz(path / "seen.npz").tocsr(),
            popularity=arrays["popularity"],
            user_factors=arrays["user_factors"] if "user_factors" in arrays else None,
            item_factors=arrays["item_factors"] if "item_factors" in arrays else None,
            item_sim=sp.load_npz(sim_file).tocsr() if sim_file.exists() else None,
            item_categories={k: v for k, v in meta["item_categories"]},
            metadata=meta.get("metadata", {}),
        )


def _ids(values: list[Any]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    if all(isinstance(v, int) for v in values):
        return np.asarray(values, dtype=np.int64)
    return arr


def _empty_recs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": pd.Series(dtype=object),
            "item_id": pd.Series(dtype=object),
            "score": pd.Series(dtype=float),
            "rank": pd.Series(dtype=int),
            "reason": pd.Series(dtype=object),
        }
    )
