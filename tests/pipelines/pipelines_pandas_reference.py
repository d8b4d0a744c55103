"""Straightforward pandas versions of the Spark tables, for the correctness tests."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd


def load_raw(events_dir: Path) -> pd.DataFrame:
    rows = []
    for f in sorted(events_dir.glob("topic=*/date=*/hour=*/part-*.jsonl")):
        topic = f.parts[-4].split("=", 1)[1]
        for line in f.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                rec["topic"] = topic
                rows.append(rec)
    df = pd.DataFrame(rows)
    df["ts"] = pd.to_datetime(df["occurred_at"], utc=True, format="ISO8601")
    df = df.sort_values(["ts", "event_id"]).drop_duplicates("event_id").reset_index(drop=True)
    df["date"] = df["ts"].dt.date
    df["actor_id"] = df["learner_id"].where(df["learner_id"].notna(), df.get("user_id"))
    return df


def sessions(ev: pd.DataFrame) -> pd.Series:
    out = pd.Series(index=ev.index, dtype=object)
    e = ev[ev["actor_id"].notna()].sort_values(["actor_id", "date", "ts", "event_id"])
    for _, g in e.groupby(["actor_id", "date"], sort=False):
        start = None
        prev = None
        for idx, ts in zip(g.index, g["ts"], strict=True):
            if prev is None or (ts - prev).total_seconds() > 1800:
                start = ts
            prev = ts
            out[idx] = f"{ev.at[idx, 'actor_id']}-{start:%Y%m%d%H%M%S}"
    return out


def _is(ev, t):
    return ev["event_type"] == t


def interactions(ev: pd.DataFrame) -> pd.DataFrame:
    e = ev[ev["learner_id"].notna() & ev["course_id"].notna()
           & ev["event_type"].isin(["lesson.viewed", "video.progress", "enrollment.created"])].copy()
    e["v"] = _is(e, "lesson.viewed").astype(int)
    e["w"] = np.where(_is(e, "video.progress"), e["seconds_watched"].fillna(0), 0.0)
    e["c"] = (_is(e, "video.progress") & (e["completed"] == True)).astype(int)  # noqa: E712
    e["en"] = _is(e, "enrollment.created").astype(int)
    g = e.groupby(["learner_id", "course_id"]).agg(views=("v", "sum"), watch_seconds=("w", "sum"),
                                                   completions=("c", "sum"), enrolled=("en", "max"),
                                                   last_ts=("ts", "max")).reset_index()
    g["enrolled"] = g["enrolled"] == 1
    g["weight"] = np.log1p(g["views"]) + g["watch_seconds"] / 600 + 2 * g["completions"] + 3 * g["enrolled"]
    return g


def learner_daily(ev: pd.DataFrame) -> pd.DataFrame:
    e = ev[ev["actor_id"].notna()].copy()
    e["views"] = _is(e, "lesson.viewed").astype(int)
    e["wm"] = np.where(_is(e, "video.progress"), e["seconds_watched"].fillna(0), 0.0) / 60
    e["completions"] = (_is(e, "video.progress") & (e["completed"] == True)).astype(int)  # noqa: E712
    e["enrollments"] = _is(e, "enrollment.created").astype(int)
    e["payments"] = _is(e, "payment.attempted").astype(int)
    e["amt"] = np.where(_is(e, "payment.attempted"), e["amount_minor"].fillna(0), 0).astype("int64")
    d = e.groupby(["actor_id", "date"]).agg(views=("views", "sum"), watch_minutes=("wm", "sum"),
                                            completions=("completions", "sum"), enrollments=("enrollments", "sum"),
                                            payments=("payments", "sum"), amount_minor_sum=("amt", "sum"))
    d = d.reset_index().rename(columns={"actor_id": "learner_id"})
    rows = []
    for _, r in d.iterrows():
        mine = d[d["learner_id"] == r["learner_id"]]
        w7 = mine[(mine["date"] <= r["date"]) & (mine["date"] > r["date"] - timedelta(days=7))]
        w30 = mine[(mine["date"] <= r["date"]) & (mine["date"] > r["date"] - timedelta(days=30))]
        p30 = w30["payments"].sum()
        rows.append({"views_7d": w7["views"].sum(), "watch_minutes_7d": w7["watch_minutes"].sum(),
                     "enrollments_30d": w30["enrollments"].sum(), "payments_30d": p30,
                     "avg_payment_amount_30d": w30["amount_minor_sum"].sum() / p30 if p30 else 0.0})
    return pd.concat([d, pd.DataFrame(rows, index=d.index)], axis=1)


def _course_money(ev: pd.DataFrame, event_type: str) -> pd.DataFrame:
    orders = ev[_is(ev, "order.created")].drop_duplicates("order_id")[["order_id", "course_ids"]]
    orders = orders.assign(n=orders["course_ids"].map(len)).explode("course_ids").rename(
        columns={"course_ids": "course_id"})
    m = ev[_is(ev, event_type)][["date", "order_id", "amount_minor"]].merge(orders, on="order_id")
    m["share"] = (m["amount_minor"] // m["n"]).astype("int64")
    return m.groupby(["date", "course_id"])["share"].sum().rename("amount").reset_index()


def course_daily(ev: pd.DataFrame) -> pd.DataFrame:
    """Only days with activity (the Spark table zero-fills; the test compares those rows)."""
    e = ev[ev["course_id"].notna() & ev["event_type"].isin(["lesson.viewed", "video.progress",
                                                           "enrollment.created"])].copy()
    e["views"] = _is(e, "lesson.viewed").astype(int)
    e["wm"] = np.where(_is(e, "video.progress"), e["seconds_watched"].fillna(0), 0.0) / 60
    e["completions"] = (_is(e, "video.progress") & (e["completed"] == True)).astype(int)  # noqa: E712
    e["enrollments"] = _is(e, "enrollment.created").astype(int)
    d = e.groupby(["course_id", "date"]).agg(views=("views", "sum"), watch_minutes=("wm", "sum"),
                                             completions=("completions", "sum"),
                                             enrollments=("enrollments", "sum"),
                                             learners=("learner_id", "nunique")).reset_index()
    rev = _course_money(ev, "order.paid").rename(columns={"amount": "revenue_minor"})
    d = d.merge(rev, on=["course_id", "date"], how="outer").fillna(
        {"views": 0, "watch_minutes": 0.0, "completions": 0, "enrollments": 0, "learners": 0, "revenue_minor": 0})
    extra = []
    for _, r in d.iterrows():
        mine = d[d["course_id"] == r["course_id"]]
        w7 = mine[(mine["date"] <= r["date"]) & (mine["date"] > r["date"] - timedelta(days=7))]
        w30 = mine[(mine["date"] <= r["date"]) & (mine["date"] > r["date"] - timedelta(days=30))]
        v30 = w30["views"].sum()
        extra.append({"views_7d": w7["views"].sum(), "enrollments_7d": w7["enrollments"].sum(),
                      "completion_rate_30d": w30["completions"].sum() / v30 if v30 else 0.0})
    return pd.concat([d, pd.DataFrame(extra, index=d.index)], axis=1)


def payments_labeled(ev: pd.DataFrame) -> pd.DataFrame:
    att = ev[_is(ev, "payment.attempted")].copy()
    auth = set(ev[_is(ev, "payment.authorized")]["payment_id"])
    dec = set(ev[_is(ev, "payment.declined")]["payment_id"])
    ref = set(ev[_is(ev, "order.refunded")]["payment_id"])
    att["status"] = att["payment_id"].map(lambda p: "authorized" if p in auth else ("declined" if p in dec else None))
    att["refunded"] = att["payment_id"].isin(ref)
    att["is_fraud"] = att["is_fraud"].fillna(0).clip(lower=0).astype(int)
    return att


def active_users(ev: pd.DataFrame) -> pd.DataFrame:
    e = ev[ev["actor_id"].notna()][["actor_id", "date"]].drop_duplicates()
    rows = []
    for d in sorted(e["date"].unique()):
        rows.append({"date": d, "dau": e[e["date"] == d]["actor_id"].nunique(),
                     "wau": e[(e["date"] <= d) & (e["date"] > d - timedelta(days=7))]["actor_id"].nunique(),
                     "mau": e[(e["date"] <= d) & (e["date"] > d - timedelta(days=30))]["actor_id"].nunique()})
    return pd.DataFrame(rows)


def funnel(ev: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for d, g in ev[ev["learner_id"].notna()].groupby("date"):
        v = g[_is(g, "lesson.viewed")]["learner_id"].nunique()
        en = g[_is(g, "enrollment.created")]["learner_id"].nunique()
        p = g[_is(g, "order.paid")]["learner_id"].nunique()
        rows.append({"date": d, "viewers": v, "enrollers": en, "payers": p,
                     "view_to_enroll": en / v if v else 0.0, "enroll_to_pay": p / en if en else 0.0})
    return pd.DataFrame(rows)


def retention(ev: pd.DataFrame) -> pd.DataFrame:
    def week(ts):
        return (ts.dt.tz_convert(None).dt.normalize() - pd.to_timedelta(ts.dt.weekday, unit="D")).dt.date

    reg = ev[_is(ev, "user.registered")].groupby("user_id")["ts"].min().rename("reg").reset_index()
    reg["cohort_week"] = week(reg["reg"])
    act = ev[ev["actor_id"].notna()][["actor_id", "ts"]].copy()
    act["act_week"] = week(act["ts"])
    j = reg.merge(act, left_on="user_id", right_on="actor_id")
    j["week_offset"] = (pd.to_datetime(j["act_week"]) - pd.to_datetime(j["cohort_week"])).dt.days // 7
    j = j[j["week_offset"] >= 0]
    r = j.groupby(["cohort_week", "week_offset"])["actor_id"].nunique().rename("retained").reset_index()
    sizes = reg.groupby("cohort_week").size().rename("learners").reset_index()
    r = r.merge(sizes, on="cohort_week")
    r["retention"] = r["retained"] / r["learners"]
    return r


def revenue_by_course(ev: pd.DataFrame) -> pd.DataFrame:
    g = _course_money(ev, "order.paid").rename(columns={"amount": "gross_minor"})
    r = _course_money(ev, "order.refunded").rename(columns={"amount": "refunds_minor"})
    m = g.merge(r, on=["date", "course_id"], how="outer").fillna(0)
    m["net_minor"] = m["gross_minor"] - m["refunds_minor"]
    cat = ev[_is(ev, "course.published")].sort_values("ts").drop_duplicates("course_id", keep="last")
    return m.merge(cat[["course_id", "instructor_id"]], on="course_id", how="left")


def revenue_by_instructor(by_course: pd.DataFrame) -> pd.DataFrame:
    g = by_course.groupby(["date", "instructor_id"])[["gross_minor", "net_minor"]].sum().reset_index()
    g["instructor_payable_minor"] = (g["net_minor"] * 85 // 100).astype("int64")
    return g
