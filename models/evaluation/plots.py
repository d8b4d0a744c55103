"""Evaluation plots as matplotlib figures (logged to MLflow, embedded in Dagster metadata).

Uses the non-interactive Agg backend explicitly: training runs in Dagster workers and
CI where there is no display.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def fraud_curves(y_true: np.ndarray, scores: Mapping[str, np.ndarray]):
    """PR and ROC curves for several models on the same holdout, side by side."""
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_curve

    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for name, s in scores.items():
        prec, rec, _ = precision_recall_curve(y_true, s)
        ax1.plot(rec, prec, label=f"{name} (AP={average_precision_score(y_true, s):.3f})")
        fpr, tpr, _ = roc_curve(y_true, s)
        ax2.plot(fpr, tpr, label=name)
    ax1.set(xlabel="recall", ylabel="precision", title="Precision-recall")
    ax2.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (log x)", xscale="log")
    ax2.set_xlim(1e-4, 1)
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def calibration_plot(curve: Mapping[str, list[float]]):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot([1e-5, 1], [1e-5, 1], "--", color="grey", label="perfect")
    ax.plot(curve["mean_predicted"], curve["fraction_positive"], "o-", label="model")
    ax.set(xscale="log", yscale="symlog", xlabel="mean predicted probability", ylabel="observed fraud rate")
    ax.set_yscale("symlog", linthresh=1e-4)
    ax.set_title("Calibration (quantile bins)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def history_plot(history: list[float], title: str = "validation PR-AUC by epoch"):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.5, 3))
    ax.plot(range(1, len(history) + 1), history, marker="o")
    ax.set(xlabel="epoch", ylabel="PR-AUC", title=title)
    fig.tight_layout()
    return fig


def recsys_metrics_plot(results: Mapping[str, Mapping[str, float]], k: int = 10):
    """Grouped bars: precision/recall/NDCG/MAP@k per algorithm."""
    plt = _plt()
    metrics = [f"precision@{k}", f"recall@{k}", f"ndcg@{k}", f"map@{k}"]
    names = list(results)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / max(len(names), 1)
    x = np.arange(len(metrics))
    for i, name in enumerate(names):
        ax.bar(x + i * width, [results[name].get(m, 0.0) for m in metrics], width, label=name)
    ax.set_xticks(x + width * (len(names) - 1) / 2, metrics)
    ax.set_title("Recommender holdout metrics")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def figure_png(fig, *, tight: bool = False) -> bytes:
    """PNG-encode a matplotlib figure (and close it); ``tight`` trims the white margins."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight" if tight else None)
    _plt().close(fig)
    return buf.getvalue()


def png_markdown(png: bytes, alt: str = "plot") -> str:
    """A PNG as an inline Markdown image (data URI): Dagster ``MetadataValue.md`` renders it."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"


def figure_markdown(fig, alt: str = "plot") -> str:
    """PNG-encode a matplotlib figure (tight margins, closes it) into an inline Markdown image.

    The one implementation: ``dagster_project.plots`` re-exports this and ``png_markdown``
    (the Dagster project depends on ``models``, never the other way round).
    """
    return png_markdown(figure_png(fig, tight=True), alt)
