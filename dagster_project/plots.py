"""Render matplotlib figures as Markdown images for Dagster asset metadata.

The Dagster UI renders Markdown metadata, including data-URI images, so a plot
travels with the materialization that produced it and analysts see it next to
the row counts, without a separate dashboard.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

# One implementation of the data-URI image helpers, in the models package (which the
# Dagster project depends on); re-exported here for the asset modules.
from models.evaluation.plots import figure_markdown, png_markdown

__all__ = ["figure_markdown", "new_figure", "png_markdown", "preview_markdown"]


def new_figure(width: float = 7.0, height: float = 3.5) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def preview_markdown(df: pd.DataFrame, rows: int = 10) -> str:
    """A small Markdown table of the first rows (what analysts look at first)."""
    if df.empty:
        return "_empty_"
    head = df.head(rows).copy()
    for col in head.columns:
        if pd.api.types.is_float_dtype(head[col]):
            head[col] = head[col].round(4)
    cols = [str(c) for c in head.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in head.iterrows():
        lines.append("| " + " | ".join(str(v) for v in row.tolist()) + " |")
    return "\n".join(lines)
