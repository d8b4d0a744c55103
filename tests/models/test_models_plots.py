"""The one data-URI image helper (models.evaluation.plots), re-exported by dagster_project.plots."""

from __future__ import annotations

import base64

from models.evaluation.plots import figure_markdown, history_plot, png_markdown


def test_figure_markdown_inlines_a_png_and_closes_the_figure():
    import matplotlib.pyplot as plt

    fig = history_plot([0.5, 0.7, 0.8])
    md = figure_markdown(fig, "history")
    prefix = "![history](data:image/png;base64,"
    assert md.startswith(prefix) and md.endswith(")")
    assert base64.b64decode(md[len(prefix) : -1]).startswith(b"\x89PNG")
    assert not plt.fignum_exists(fig.number)
    assert png_markdown(b"\x89PNG", "x") == "![x](data:image/png;base64,iVBORw==)"


def test_dagster_plots_reexports_the_same_helpers():
    import dagster_project.plots as dp

    assert dp.figure_markdown is figure_markdown and dp.png_markdown is png_markdown
