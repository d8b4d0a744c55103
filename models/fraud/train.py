"""Train the torch fraud scorer on a plain DataFrame.

Class imbalance is handled with a positive-class weight in the loss (``sqrt`` of the
neg/pos ratio by default: full balancing over-predicts fraud and hurts precision), and
the resulting score is re-calibrated with Platt scaling on a held-out slice, so the
probability means what it says. Platt is monotone, so it never changes the ranking
(PR-AUC) the network learned.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np
import pandas as pd

from models.errors import TrainingInputError, require_columns
from models.fraud.model import FraudModel
from models.fraud.params import FraudParams
from models.fraud.policy import DecisionPolicy
from models.fraud.preprocess import Preprocessor


def validate_training_frame(df: pd.DataFrame, label: str, features: list[str]) -> np.ndarray:
    """Check the frame and return the label as a 0/1 int array."""
    if not features:
        raise TrainingInputError("features: give at least one feature column")
    require_columns(df, [label, *features], "fraud training frame")
    if df[label].isna().any():
        raise TrainingInputError(f"label {label!r} contains nulls; drop or fill unlabeled rows first")
    y = df[label]
    if y.dtype == bool:
        y = y.astype(int)
    values = set(pd.unique(y).tolist())
    if not values <= {0, 1}:
        raise TrainingInputError(
            f"label {label!r} must be binary 0/1 (or bool), got values {sorted(values)[:5]}"
        )
    if len(values) < 2:
        raise TrainingInputError(
            f"label {label!r} has a single class ({values.pop()}); need both fraud and legitimate examples"
        )
    y_arr = y.to_numpy(dtype=int)
    if y_arr.sum() < 2 or (1 - y_arr).sum() < 2:
        raise TrainingInputError(f"label {label!r}: need at least 2 examples of each class")
    return y_arr


def split_categorical(
    df: pd.DataFrame, features: list[str], categorical: list[str] | None
) -> tuple[list[str], list[str]]:
    if categorical is None:
        categorical = [
            c
            for c in features
            if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])
        ]
    unknown = [c for c in categorical if c not in features]
    if unknown:
        raise TrainingInputError(f"categorical columns {unknown} are not in features")
    return [c for c in features if c not in categorical], list(categorical)


def stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, held_out) keeping the class ratio; at least one positive held out."""
    rng = np.random.default_rng(seed)
    train_idx, held_idx = [], []
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        rng.shuffle(idx)
        n = max(1, int(round(fraction * len(idx))))
        held_idx.append(idx[:n])
        train_idx.append(idx[n:])
    return np.sort(np.concatenate(train_idx)), np.sort(np.concatenate(held_idx))


SCHEDULES = ("constant", "cosine", "onecycle")


MIN_STEPS = 4  # optimizer steps per epoch, at least (see _fit_one)
MIN_BATCH = 256


def _check_params(p: FraudParams) -> None:
    from models.fraud.preprocess import TRANSFORMS

    if p.numeric_transform not in TRANSFORMS:
        raise TrainingInputError(
            f"numeric_transform {p.numeric_transform!r}: choose one of {list(TRANSFORMS)}"
        )
    if p.lr_schedule not in SCHEDULES:
        raise TrainingInputError(f"lr_schedule {p.lr_schedule!r}: choose one of {list(SCHEDULES)}")
    from models.fraud.net import NUMERIC_EMBEDDINGS

    if p.numeric_embedding not in NUMERIC_EMBEDDINGS:
        raise TrainingInputError(
            f"numeric_embedding {p.numeric_embedding!r}: choose one of {list(NUMERIC_EMBEDDINGS)}"
        )
    if p.cross_fit and p.n_models < 2:
        raise TrainingInputError("cross_fit needs n_models >= 2 (one validation fold per member)")
    if p.average_top_k < 1:
        raise TrainingInputError(f"average_top_k must be at least 1, got {p.average_top_k}")
    if p.tree_member not in ("xgboost", "none"):
        raise TrainingInputError(f"tree_member {p.tree_member!r}: choose 'xgboost' or 'none'")
    if p.tree_weight != "auto" and not (isinstance(p.tree_weight, int | float) and 0.0 <= p.tree_weight <= 1.0):
        raise TrainingInputError(f"tree_weight must be 'auto' or a number in [0, 1], got {p.tree_weight!r}")
    if p.tree_member == "xgboost":
        import importlib.util

        if importlib.util.find_spec("xgboost") is None:
            raise TrainingInputError("tree_member 'xgboost' needs the xgboost package (pip install xgboost-cpu), "
                                     "or pass tree_member='none' for the network alone")


def _average_states(states: list[dict[str, Any]]) -> dict[str, Any]:
    """Element-wise mean of state dicts (integer buffers such as BatchNorm's counter: first)."""
    out = {}
    for key, value in states[0].items():
        if value.is_floating_point():
            out[key] = sum(s[key] for s in states) / len(states)
        else:
            out[key] = value.clone()
    return out


def member_splits(y: np.ndarray, p: FraudParams) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, validation) row indices per ensemble member.

    Default: every member shares one stratified ``val_fraction`` hold-out. ``cross_fit``:
    member ``m`` holds out fold ``m`` of a stratified ``n_models``-fold split, so the
    ensemble learns from every row and every row gets an out-of-fold score for
    calibration (k-fold bagging, as in AutoGluon).
    """
    if not p.cross_fit:
        return [stratified_split(y, p.val_fraction, p.seed)] * p.n_models
    from sklearn.model_selection import StratifiedKFold

    if y.sum() < p.n_models or (1 - y).sum() < p.n_models:
        raise TrainingInputError(
            f"cross_fit with n_models={p.n_models} needs at least {p.n_models} examples of each class"
        )
    folds = StratifiedKFold(p.n_models, shuffle=True, random_state=p.seed).split(np.zeros(len(y)), y)
    return [(np.sort(tr), np.sort(va)) for tr, va in folds]


def train_fraud_model(
    df: pd.DataFrame,
    label: str,
    features: list[str],
    params: FraudParams | dict[str, Any] | None = None,
    progress: bool = False,
) -> FraudModel:
    """Train, calibrate and pick policy thresholds. Deterministic under ``params.seed``."""
    import torch

    p = FraudParams.from_any(params)
    _check_params(p)
    features = list(features)
    y = validate_training_frame(df, label, features)
    numeric, categorical = split_categorical(df, features, p.categorical)
    started = time.perf_counter()
    splits = member_splits(y, p)
    # one shared split: the preprocessor sees only its training rows; cross-fit members
    # jointly train on every row, so it is fitted on the whole frame (an unsupervised,
    # label-free transform)
    fit_idx = splits[0][0] if not p.cross_fit else np.arange(len(y))
    pre = Preprocessor.fit(df.iloc[fit_idx], numeric, categorical, p.min_category_count, p.numeric_transform)

    torch.set_num_threads(max(1, p.num_threads))
    x_all = torch.from_numpy(pre.numeric_matrix(df))
    c_all = torch.from_numpy(pre.categorical_matrix(df))
    y_all = torch.from_numpy(y.astype(np.float32))
    bins = None
    if p.numeric_embedding == "piecewise" and x_all.shape[1]:
        from models.fraud.net import quantile_bins

        bins = quantile_bins(x_all[torch.from_numpy(fit_idx)], p.n_bins)

    ratio = float((1 - y[fit_idx]).sum() / max(y[fit_idx].sum(), 1))
    pw = {"sqrt": np.sqrt(ratio), "balanced": ratio}.get(p.pos_weight, p.pos_weight)  # type: ignore[arg-type]
    states, histories = [], []
    for member, (tr_idx, va_idx) in enumerate(splits):
        t, v = torch.from_numpy(tr_idx), torch.from_numpy(va_idx)
        state, history = _fit_one(
            p,
            pre,
            bins,
            x_all[t],
            c_all[t],
            y_all[t],
            x_all[v],
            c_all[v],
            y[va_idx],
            float(pw),
            p.seed + 1000 * member,
            progress,
        )
        states.append(state)
        histories.append(history)

    tree = None
    if p.tree_member != "none" and p.tree_weight != 0:
        from models.fraud.trees import fit_tree_member

        tree = fit_tree_member(df, y, pre, splits[0][0], splits[0][1],
                               weight=0.5 if p.tree_weight == "auto" else float(p.tree_weight), seed=p.seed,
                               num_threads=p.num_threads)
    model = FraudModel(
        params=p,
        features=features,
        preprocessor=pre,
        state_dicts=states,
        calibration=(1.0, 0.0),
        policy=DecisionPolicy(0.5, 0.9),
        bins=bins,
        tree=tree,
    )
    if p.cross_fit:
        # calibrate and pick thresholds on out-of-fold logits: every labelled row, each
        # scored by the member that never trained on it (the served score is the mean over
        # all members, whose spread differs a little from one member's: Platt fitted on
        # single-member logits is close, not exact; ranking is unaffected)
        held_logits = np.zeros(len(y))
        for net, (_, va_idx) in zip(model._networks(), splits, strict=True):
            v = torch.from_numpy(va_idx)
            with torch.no_grad():
                held_logits[va_idx] = net(x_all[v], c_all[v]).numpy()
        va_all = np.arange(len(y))
        if tree is not None:  # the tree trained on member 0's rows: in-sample there, a small optimism
            tree_held = tree.margin(df, pre)
            tree.weight = _blend_weight(p, y, held_logits, tree_held, tree.weight)
            held_logits = (1 - tree.weight) * held_logits + tree.weight * tree_held
    else:
        va_all = splits[0][1]
        va_frame = df.iloc[va_all]
        if tree is not None:  # both parts scored once: the weight choice and the blend reuse them
            net_va, tree_va = model.network_logits(va_frame), tree.margin(va_frame, pre)
            tree.weight = _blend_weight(p, y[va_all], net_va, tree_va, tree.weight)
            held_logits = (1 - tree.weight) * net_va + tree.weight * tree_va
        else:
            held_logits = model.raw_logits(va_frame)
    y_va = y[va_all]
    model.calibration = _platt(held_logits, y_va)
    val_proba = model.calibrated(held_logits)
    model.policy = DecisionPolicy.choose(y_va, val_proba, p.target_precision, p.target_review_rate)
    from models.evaluation.fraud import fraud_metrics

    model.metadata = {
        "n_train": int(len(fit_idx)),
        "n_val": int(len(va_all)),
        "cross_fit": p.cross_fit,
        "positive_rate": float(y.mean()),
        "pos_weight": float(pw),
        "epochs": [len(h) for h in histories],
        "tree_rounds": tree.rounds if tree is not None else 0,
        "tree_weight": tree.weight if tree is not None else 0.0,
        "val_pr_auc_history": histories[0],
        "val_metrics": fraud_metrics(y_va, val_proba),
        "train_seconds": round(time.perf_counter() - started, 3),
    }
    return model


def _fit_one(
    p: FraudParams,
    pre: Preprocessor,
    bins: list[list[float]] | None,
    x_num: Any,
    x_cat: Any,
    y_tr: Any,
    v_num: Any,
    v_cat: Any,
    y_va: np.ndarray,
    pos_weight: float,
    seed: int,
    progress: bool,
) -> tuple[dict[str, Any], list[float]]:
    import torch
    from sklearn.metrics import average_precision_score

    from models.fraud.net import build_net, init_bias

    torch.manual_seed(seed)
    net = build_net(p, x_num.shape[1], pre.cardinalities(), bins)
    init_bias(net, float(y_tr.mean().clamp(1e-4, 0.5)))
    opt = torch.optim.AdamW(net.parameters(), lr=p.lr, weight_decay=p.weight_decay)
    rate = min(max(p.neg_sample_rate, 1e-4), 1.0)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight * rate))
    gen = torch.Generator().manual_seed(seed)
    pos_idx = torch.nonzero(y_tr > 0.5).squeeze(1)
    neg_idx = torch.nonzero(y_tr <= 0.5).squeeze(1)
    n_neg = max(1, int(round(rate * len(neg_idx))))
    rows_per_epoch = len(pos_idx) + n_neg if rate < 1.0 else len(y_tr)
    # small data (the platform's own payments, not ULB): keep at least MIN_STEPS optimizer steps
    # per epoch, or a 4,096-row batch over a few thousand sampled rows would train one step an epoch
    batch_size = min(p.batch_size, max(MIN_BATCH, -(-rows_per_epoch // MIN_STEPS)))
    steps_per_epoch = max(1, -(-rows_per_epoch // batch_size))
    sched: Any = None
    if p.lr_schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=p.max_epochs)
    elif p.lr_schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=p.lr, total_steps=p.max_epochs * steps_per_epoch + 1, pct_start=0.3
        )
    best, best_state, history, stale = -1.0, copy.deepcopy(net.state_dict()), [], 0
    top: list[tuple[float, int, dict[str, Any]]] = []  # (val score, epoch, state), best first
    epochs = range(p.max_epochs)
    if progress:
        from tqdm import tqdm

        epochs = tqdm(epochs, desc=f"fraud mlp seed={seed}", leave=False)
    for _ in epochs:
        net.train()
        if rate < 1.0:
            chosen = torch.cat([pos_idx, neg_idx[torch.randperm(len(neg_idx), generator=gen)[:n_neg]]])
            perm = chosen[torch.randperm(len(chosen), generator=gen)]
        else:
            perm = torch.randperm(len(y_tr), generator=gen)
        n = len(perm)
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            if len(idx) < 2:  # BatchNorm needs >1 row
                continue
            opt.zero_grad()
            loss = loss_fn(net(x_num[idx], x_cat[idx]), y_tr[idx])
            loss.backward()
            opt.step()
            if p.lr_schedule == "onecycle":
                sched.step()
        if p.lr_schedule == "cosine":
            sched.step()
        net.eval()
        with torch.no_grad():
            val_score = float(average_precision_score(y_va, net(v_num, v_cat).numpy()))
        history.append(round(val_score, 5))
        if p.average_top_k > 1:
            top.append((val_score, len(history), copy.deepcopy(net.state_dict())))
            top = sorted(top, key=lambda t: (-t[0], t[1]))[: p.average_top_k]
        if val_score > best + 1e-5:
            best, best_state, stale = val_score, copy.deepcopy(net.state_dict()), 0
        else:
            stale += 1
            if stale >= p.patience:
                break
    if len(top) > 1:
        return _average_states([t[2] for t in top]), history
    return best_state, history


def _blend_weight(p: FraudParams, y: np.ndarray, net: np.ndarray, tree: np.ndarray, fixed: float) -> float:
    """The tree's share of the blend: ``fixed`` unless ``tree_weight="auto"``, then the best of
    0.25 / 0.5 / 0.75 by validation PR-AUC (the middle wins ties; a coarse grid, because a
    validation slice holds only a few dozen frauds)."""
    if p.tree_weight != "auto":
        return fixed
    from sklearn.metrics import average_precision_score

    scores = {w: average_precision_score(y, (1 - w) * net + w * tree) for w in (0.5, 0.25, 0.75)}
    return max(scores, key=lambda w: (round(scores[w], 4), w == 0.5))


def _platt(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, max_iter=1000)
    lr.fit(logits.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])
