"""Spark ETL: every table equals a pandas reference; re-runs are idempotent; gates fail loudly.

One small demo world (~3 days) and ONE ETL run per module keep this under a
minute or two on two cores; the assertions are grouped per table.
"""

from __future__ import annotations

import shutil
from datetime import date

import numpy as np
import pandas as pd
import pipelines_pandas_reference as ref
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory, spark):
    """Demo world + a replayed (duplicated) segment, ETL run once over all dates."""
    from pipelines.spark.etl import run_etl
    from suuupra.demo import WorldConfig, write_demo_world
    from suuupra.settings import load_settings

    settings = load_settings(profile="local", data_dir=tmp_path_factory.mktemp("spark_world"))
    write_demo_world(settings.events_dir, WorldConfig(scale=1, seed=11, days=3, learners_per_scale=250),
                     progress=False)
    seg = sorted(settings.events_dir.glob("topic=engagement/date=*/hour=*/part-*.jsonl"))[0]
    shutil.copy(seg, seg.with_name("part-zz-replayed-copy.jsonl"))  # same events again
    result = run_etl(settings)
    raw = ref.load_raw(settings.events_dir)
    return settings, result, raw


def _read(spark, settings, name) -> pd.DataFrame:
    from pipelines.quality.gates import read_table_frame

    return read_table_frame(name, settings)  # pyarrow: much faster than Spark's toPandas here


def _cmp(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], cols: list[str]) -> None:
    assert len(actual) == len(expected), (len(actual), len(expected))
    m = actual.merge(expected, on=keys, suffixes=("", "_ref"), how="outer", indicator=True)
    assert (m["_merge"] == "both").all(), m[m["_merge"] != "both"].head()
    for c in cols:
        a, e = m[c].to_numpy(), m[f"{c}_ref"].to_numpy()
        if np.issubdtype(np.asarray(a).dtype, np.number):
            np.testing.assert_allclose(a.astype(float), e.astype(float), rtol=1e-9, atol=1e-6, err_msg=c)
        else:
            assert list(a) == list(e), c


def test_events_clean_dedup_and_sessions(world, spark):
    settings, result, raw = world
    df = _read(spark, settings, "events_clean")
    assert len(df) == len(raw) == result.rows["events_clean"]  # replayed copy removed
    assert df["event_id"].is_unique
    raw = raw.assign(session_id=ref.sessions(raw))
    m = df[["event_id", "session_id", "date"]].merge(raw[["event_id", "session_id", "date"]], on="event_id")
    assert (m["session_id_x"].fillna("") == m["session_id_y"].fillna("")).all()
    assert (m["date_x"] == m["date_y"]).all()
    assert df["session_id"].notna().mean() > 0.9
    assert str(df["event_timestamp"].dtype).startswith("datetime64")


def test_interactions_and_learner_daily(world, spark):
    settings, _, raw = world
    inter = _read(spark, settings, "interactions")
    _cmp(inter, ref.interactions(raw), ["learner_id", "course_id"],
         ["views", "watch_seconds", "completions", "enrolled", "weight"])
    assert (inter["event_timestamp"] == inter["last_ts"]).all()
    ld = _read(spark, settings, "learner_daily")
    _cmp(ld, ref.learner_daily(raw), ["learner_id", "date"],
         ["views", "watch_minutes", "completions", "enrollments", "payments", "amount_minor_sum", "views_7d",
          "watch_minutes_7d", "enrollments_30d", "payments_30d", "avg_payment_amount_30d"])


def test_course_daily(world, spark):
    settings, _, raw = world
    cd = _read(spark, settings, "course_daily")
    assert not cd.duplicated(["course_id", "date"]).any()
    exp = ref.course_daily(raw)
    active = cd.merge(exp[["course_id", "date"]], on=["course_id", "date"])
    _cmp(active, exp, ["course_id", "date"],
         ["views", "watch_minutes", "completions", "enrollments", "learners", "revenue_minor", "views_7d",
          "enrollments_7d", "completion_rate_30d"])
    idle = cd.merge(exp[["course_id", "date"]], on=["course_id", "date"], how="left", indicator=True)
    idle = idle[idle["_merge"] == "left_only"]
    assert (idle[["views", "enrollments", "revenue_minor"]] == 0).all().all()
    assert cd["published"].all() and cd["category"].notna().all()


def test_payments_and_marts(world, spark):
    settings, _, raw = world
    pl = _read(spark, settings, "payments_labeled")
    _cmp(pl, ref.payments_labeled(raw), ["payment_id"], ["amount_minor", "status", "refunded", "is_fraud"])
    assert set(pl["status"].dropna()) <= {"authorized", "declined"}
    _cmp(_read(spark, settings, "mart_active_users"), ref.active_users(raw), ["date"], ["dau", "wau", "mau"])
    _cmp(_read(spark, settings, "mart_funnel"), ref.funnel(raw), ["date"],
         ["viewers", "enrollers", "payers", "view_to_enroll", "enroll_to_pay"])
    ret = _read(spark, settings, "mart_retention_cohorts")
    ret["cohort_week"] = pd.to_datetime(ret["cohort_week"]).dt.date
    _cmp(ret, ref.retention(raw), ["cohort_week", "week_offset"], ["learners", "retained", "retention"])
    by_course = ref.revenue_by_course(raw)
    _cmp(_read(spark, settings, "mart_revenue_by_course"), by_course, ["date", "course_id"],
         ["gross_minor", "refunds_minor", "net_minor", "instructor_id"])
    _cmp(_read(spark, settings, "mart_revenue_by_instructor"), ref.revenue_by_instructor(by_course),
         ["date", "instructor_id"], ["gross_minor", "net_minor", "instructor_payable_minor"])


def test_rerun_one_date_is_idempotent_and_gates_pass(world, spark):
    from pipelines.quality import CONTRACTS, QualityError, assert_table_quality, check_frame
    from pipelines.quality.gates import read_table_frame
    from pipelines.spark.etl import run_etl

    settings, result, _ = world
    before = {n: len(_read(spark, settings, n)) for n in ("events_clean", "learner_daily", "course_daily")}
    day = result.dates[1]
    run_etl(settings, [day], tables=["learner_daily", "course_daily"])
    after = {n: len(_read(spark, settings, n)) for n in before}
    assert after == before  # the date partition was replaced, not appended to
    for name in CONTRACTS:
        assert_table_quality(name, settings)
    # a broken frame fails every relevant gate, and the message lists them all
    df = read_table_frame("learner_daily", settings)
    df.loc[df.index[:5], "learner_id"] = None
    df["views"] = df["views"].astype(str)
    results = check_frame(CONTRACTS["learner_daily"], df, as_of=date(2030, 1, 1))
    failed = {r.check for r in results if not r.passed}
    assert {"schema", "null_rate", "freshness"} <= failed
    err = QualityError("learner_daily", [r for r in results if not r.passed])
    assert "views is string, expected int" in str(err) and "learner_id" in str(err)
    with pytest.raises(QualityError, match="exists"):
        assert_table_quality("learner_daily", settings.model_copy(update={"data_dir": settings.data_dir / "nope"}))
