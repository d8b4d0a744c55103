"""Fraud-model metrics: ranking quality, operating points, calibration and money.

PR-AUC (average precision) is the headline metric: with ~0.2% positives ROC-AUC is
near 1 for any decent model and hides the difference that matters (how many alerts
are real). Recall at 1% FPR is the operating-point view; expected cost prices the
chosen policy thresholds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from models.fraud.policy import APPROVE, DECLINE, REVIEW, DecisionPolicy


@dataclass(frozen=True)
class CostModel:
    """Per-transaction costs in currency units (tunable per business)."""

    missed_fraud: float = 100.0  # used when no amount is given; otherwise the amount is lost
    review: float = 5.0  # analyst time per reviewed transaction
    false_decline: float = 20.0  # lost margin + churn risk of declining a good customer


def recall_at_fpr(y_true: np.ndarray, scores: np.ndarray, fpr: float = 0.01) -> float:
    """Share of frauds caught when the threshold lets through ``fpr`` of the legit traffic."""
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(scores, dtype=float)
    neg = np.sort(s[y == 0])[::-1]
    if len(neg) == 0 or y.sum() == 0:
        return float("nan")
    k = int(np.floor(fpr * len(neg)))
    threshold = neg[k] if k < len(neg) else -np.inf
    return float((s[y == 1] > threshold).mean())


def expected_cost(
    y_true: np.ndarray,
    probabilities: np.ndarray,
    policy: DecisionPolicy,
    costs: CostModel | None = None,
    amounts: np.ndarray | None = None,
) -> dict[str, float]:
    """Cost of running ``policy``: missed frauds + review work + false declines.

    Reviewed fraud is assumed caught (the analyst declines it). Reported in total and
    per 1,000 transactions so runs on different data sizes compare.
    """
    c = costs or CostModel()
    y = np.asarray(y_true, dtype=int)
    decision = policy.decide(probabilities)
    loss = np.asarray(amounts, dtype=float) if amounts is not None else np.full(len(y), c.missed_fraud)
    missed = (decision == APPROVE) & (y == 1)
    reviewed = decision == REVIEW
    false_decl = (decision == DECLINE) & (y == 0)
    total = float(loss[missed].sum() + c.review * reviewed.sum() + c.false_decline * false_decl.sum())
    # the do-nothing baseline: approve everything
    baseline = float(loss[y == 1].sum())
    return {
        "expected_cost": total,
        "expected_cost_per_1k": 1000.0 * total / max(len(y), 1),
        "cost_approve_all": baseline,
        "decline_rate": float((decision == DECLINE).mean()),
        "review_rate": float(reviewed.mean()),
        "decline_precision": float(y[decision == DECLINE].mean()) if (decision == DECLINE).any() else 0.0,
        "fraud_caught_rate": float(1 - missed.sum() / max(y.sum(), 1)),
        **{f"cost_{k}": v for k, v in asdict(c).items()},
    }


def calibration_curve(
    y_true: np.ndarray, probabilities: np.ndarray, n_bins: int = 10
) -> dict[str, list[float]]:
    """Quantile-binned reliability curve (quantile bins: most scores sit near zero)."""
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, n_bins + 1)))
    idx = (
        np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
        if len(edges) > 1
        else np.zeros(len(p), int)
    )
    mean_pred, frac_pos, counts = [], [], []
    for b in np.unique(idx):
        m = idx == b
        mean_pred.append(float(p[m].mean()))
        frac_pos.append(float(y[m].mean()))
        counts.append(int(m.sum()))
    return {"mean_predicted": mean_pred, "fraction_positive": frac_pos, "count": counts}


def fraud_metrics(y_true: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """PR-AUC, ROC-AUC, recall@1%FPR, Brier score and log loss."""
    from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

    y = np.asarray(y_true, dtype=int)
    p = np.clip(np.asarray(probabilities, dtype=float), 1e-7, 1 - 1e-7)
    return {
        "pr_auc": float(average_precision_score(y, p)),
        "roc_auc": float(roc_auc_score(y, p)),
        "recall_at_1pct_fpr": recall_at_fpr(y, p, 0.01),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
    }
