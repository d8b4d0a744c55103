"""Hyper-parameters of the fraud scorer, apart from the model and the network.

Both the trained model (:mod:`models.fraud.model`) and the network builder
(:mod:`models.fraud.net`) read these; keeping them in a module of their own, which
imports neither, is what lets the two depend on the parameters without depending on
each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.errors import TrainingInputError


@dataclass
class FraudParams:
    """Hyper-parameters; all logged to MLflow.

    The defaults are the configuration the published ULB figures in ``docs/models.md``
    come from (chosen by cross-validation inside the training part, never on a test split:
    ``benchmarks/fraud_model_selection.py``), so ``train_fraud_model(df, label, features)``
    with no params gives that quality. Explicit params override single fields.
    """

    hidden: list[int] = field(default_factory=lambda: [128, 64])
    dropout: float = 0.1
    lr: float = 3e-3
    weight_decay: float = 1e-5
    batch_size: int = 4096
    max_epochs: int = 30
    patience: int = 8
    pos_weight: float | str = 1.0  # number, or "sqrt"/"balanced" of the neg/pos ratio
    n_models: int = 5  # >1 = seed ensemble averaged in logit space
    # <1: each epoch sees all positives and a fresh random share of negatives (cheap epochs on
    # CPU); pos_weight is scaled by the same rate so the expected loss equals the full data's.
    neg_sample_rate: float = 0.1
    # "standard": log1p for skewed non-negative columns + mean/std + clip; "quantile": rank-Gauss
    # (empirical CDF -> normal inverse CDF, fitted on the training slice), see preprocess.py
    numeric_transform: str = "quantile"
    # "constant", "cosine" (annealed per epoch over max_epochs) or "onecycle" (per step:
    # warm-up to lr over the first 30% of max_epochs, then cosine down)
    lr_schedule: str = "constant"
    # >1: each member's weights are the mean of its ``average_top_k`` best epochs by
    # validation PR-AUC (checkpoint averaging, a cheap SWA) instead of the single best
    average_top_k: int = 3
    # "none" (raw inputs), "periodic" (PLR) or "piecewise" (PLE over ``n_bins`` quantile bins
    # of the training slice): learned per-feature embeddings of the numerics, see net.py
    numeric_embedding: str = "periodic"
    numeric_embedding_dim: int = 16
    periodic_sigma: float = 0.1  # init scale of the periodic frequencies (inputs are ~N(0, 1))
    n_bins: int = 48
    # True: member m validates on fold m of an n_models-fold split (k-fold bagging; calibration
    # on out-of-fold logits of every row) instead of all sharing one val_fraction hold-out
    cross_fit: bool = False
    # "xgboost": a boosted-tree member blended with the network in log-odds (models/fraud/trees.py);
    # "none": the network ensemble alone
    tree_member: str = "xgboost"
    # the tree's share of the blended log-odds: a number, or "auto" = the best of 0.25 / 0.5 / 0.75
    # by PR-AUC on the validation rows (ties: the middle). Default 0.5: on a validation slice with
    # ~60 frauds "auto" picks by noise (ULB seed 42: 0.861 auto vs 0.862 fixed, docs/models.md)
    tree_weight: float | str = 0.5
    val_fraction: float = 0.15  # held out of the training frame: early stopping, calibration, policy
    min_category_count: int = 5
    categorical: list[str] | None = None  # None: infer from dtype (object/category/bool)
    target_precision: float = 0.9
    target_review_rate: float = 0.01
    seed: int = 42
    num_threads: int = 2

    @classmethod
    def from_any(cls, params: FraudParams | dict[str, Any] | None) -> FraudParams:
        """``params`` as :class:`FraudParams`, refusing unknown names with the list of known ones."""
        if params is None:
            return cls()
        if isinstance(params, cls):
            return params
        unknown = sorted(set(params) - set(cls.__dataclass_fields__))
        if unknown:
            raise TrainingInputError(
                f"unknown fraud params {unknown}; known: {sorted(cls.__dataclass_fields__)}"
            )
        return cls(**params)
