"""What analysts look at: plots over the marts, rendered into asset metadata.

Each asset reads a mart written by the Spark ETL (through ``suuupra.lake``),
draws one chart and attaches it as a Markdown image plus a preview table, so
the Dagster UI doubles as the analysts' dashboard with lineage attached.
"""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from dagster_project.plots import figure_markdown, new_figure, preview_markdown
from dagster_project.resources import PlatformSettings


def _read(name: str, platform: PlatformSettings) -> pd.DataFrame:
    from suuupra.lake import table_path

    path = table_path(name, platform.get())
    if not path.exists():
        raise FileNotFoundError(f"table {name!r} not found at {path}; materialize it first")
    return pd.read_parquet(path)


def engagement_figure(active: pd.DataFrame, course_daily: pd.DataFrame) -> str:
    fig, ax = new_figure()
    active = active.sort_values("date")
    for col in ("dau", "wau", "mau"):
        if col in active:
            ax.plot(pd.to_datetime(active["date"]), active[col], label=col.upper())
    if {"date", "watch_minutes"} <= set(course_daily.columns):
        minutes = course_daily.groupby("date")["watch_minutes"].sum()
        ax2 = ax.twinx()
        ax2.bar(pd.to_datetime(minutes.index), minutes.values, alpha=0.2, color="grey", label="watch minutes")
        ax2.set_ylabel("watch minutes")
    ax.set_title("Active learners and watch time")
    ax.set_ylabel("learners")
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    return figure_markdown(fig, "engagement over time")


def funnel_figure(funnel: pd.DataFrame) -> str:
    totals = funnel[["viewers", "enrollers", "payers"]].sum()
    fig, ax = new_figure(6, 3)
    ax.barh(["viewed", "enrolled", "paid"][::-1], totals.values[::-1], color=["#c44", "#e90", "#49c"])
    for i, v in enumerate(totals.values[::-1]):
        ax.text(v, i, f" {int(v):,}", va="center")
    ax.set_title("View → enroll → pay funnel (all days)")
    return figure_markdown(fig, "funnel")


def retention_figure(cohorts: pd.DataFrame) -> str:
    pivot = cohorts.pivot_table(index="cohort_week", columns="week_offset", values="retention", aggfunc="mean")
    fig, ax = new_figure(6, 3.5)
    im = ax.imshow(pivot.values, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(pivot.columns)), [str(c) for c in pivot.columns])
    ax.set_yticks(range(len(pivot.index)), [str(i)[:10] for i in pivot.index])
    ax.set_xlabel("weeks since first activity")
    ax.set_ylabel("cohort week")
    for (r, c), v in pd.DataFrame(pivot.values).stack().items():
        ax.text(c, r, f"{v:.0%}", ha="center", va="center", fontsize=7)
    fig.colorbar(im, ax=ax)
    ax.set_title("Retention by weekly cohort")
    return figure_markdown(fig, "retention cohorts")


@asset(
    group_name="analytics",
    owners=["team:analytics"],
    kinds={"python", "matplotlib"},
    deps=["mart_active_users", "course_daily"],
    description="DAU/WAU/MAU and watch minutes over time, as a chart in the asset metadata.",
)
def engagement_report(context: AssetExecutionContext, platform: PlatformSettings) -> MaterializeResult:
    active = _read("mart_active_users", platform)
    course_daily = _read("course_daily", platform)
    return MaterializeResult(metadata={
        "rows": MetadataValue.int(len(active)),
        "plot": MetadataValue.md(engagement_figure(active, course_daily)),
        "preview": MetadataValue.md(preview_markdown(active.sort_values("date", ascending=False))),
    })


@asset(
    group_name="analytics",
    owners=["team:analytics"],
    kinds={"python", "matplotlib"},
    deps=["mart_funnel"],
    description="View → enroll → pay funnel with conversion rates.",
)
def funnel_report(context: AssetExecutionContext, platform: PlatformSettings) -> MaterializeResult:
    funnel = _read("mart_funnel", platform)
    totals = funnel[["viewers", "enrollers", "payers"]].sum()
    return MaterializeResult(metadata={
        "rows": MetadataValue.int(len(funnel)),
        "view_to_enroll": MetadataValue.float(float(totals["enrollers"] / max(totals["viewers"], 1))),
        "enroll_to_pay": MetadataValue.float(float(totals["payers"] / max(totals["enrollers"], 1))),
        "plot": MetadataValue.md(funnel_figure(funnel)),
    })


@asset(
    group_name="analytics",
    owners=["team:analytics"],
    kinds={"python", "matplotlib"},
    deps=["mart_retention_cohorts"],
    description="Weekly retention cohort heat map.",
)
def retention_report(context: AssetExecutionContext, platform: PlatformSettings) -> MaterializeResult:
    cohorts = _read("mart_retention_cohorts", platform)
    return MaterializeResult(metadata={
        "rows": MetadataValue.int(len(cohorts)),
        "plot": MetadataValue.md(retention_figure(cohorts)),
        "preview": MetadataValue.md(preview_markdown(cohorts)),
    })


ASSETS = [engagement_report, funnel_report, retention_report]
