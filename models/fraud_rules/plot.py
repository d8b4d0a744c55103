"""A backtest report as a picture: reviews per day, and what the rules changed."""

from __future__ import annotations

from typing import Any


def backtest_png(report: dict[str, Any]) -> bytes:
    """Two panels: review volume per day (all / sent by rules), and model-only vs with-rules counts."""
    from models.evaluation.plots import _plt, figure_png

    plt = _plt()
    fig, (days_ax, bars_ax) = plt.subplots(1, 2, figsize=(11, 3.6))
    days = report["review_by_day"]
    x = list(range(len(days)))
    days_ax.bar(x, [d["review"] for d in days], color="#9ecae1", label="all reviews")
    days_ax.bar(x, [d["from_rules"] for d in days], color="#3182bd", label="sent by rules")
    step = max(1, len(days) // 8)
    days_ax.set_xticks(x[::step], [d["day"][5:] for d in days][::step], rotation=45, fontsize=8)
    days_ax.set_ylabel("payments sent to review")
    days_ax.set_title("Review volume per day")
    days_ax.legend(fontsize=8)
    keys = ["frauds_caught", "good_blocked", "good_stepped_up", "good_reviewed"]
    labels = ["frauds caught", "good blocked", "good stepped up", "good reviewed"]
    pos = list(range(len(keys)))
    width = 0.38
    bars_ax.bar([p - width / 2 for p in pos], [report["model_only"][k] for k in keys], width, label="model only",
                color="#bdbdbd")
    bars_ax.bar([p + width / 2 for p in pos], [report["with_rules"][k] for k in keys], width, label="with rules",
                color="#e6550d")
    bars_ax.set_xticks(pos, labels, fontsize=8)
    bars_ax.set_title(f"Expected cost {report['model_only']['expected_cost']:,.0f} -> "
                      f"{report['with_rules']['expected_cost']:,.0f}")
    bars_ax.legend(fontsize=8)
    return figure_png(fig, tight=True)
