"""Pure DataFrame -> DataFrame transforms of the batch ETL.

Each function takes ``events_clean`` (all dates needed for look-back windows)
and the target dates, and returns exactly the rows of those dates, so the
writer can overwrite just those ``date`` partitions. No I/O here: the tests
feed these functions directly and compare with pandas.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from pipelines.spark.schemas import RENAMES, all_fields

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

SESSION_GAP_S = 30 * 60
INSTRUCTOR_SHARE_PCT = 85


def _F():  # noqa: N802 - lazy import keeps module import cheap
    from pyspark.sql import functions as F

    return F


def _day_n(col: Column) -> Column:
    F = _F()
    return F.datediff(col, F.lit("1970-01-01").cast("date"))


def _end_of_day(col: Column) -> Column:
    """Timestamp at which a daily aggregate becomes known: 23:59:59 UTC of ``date``."""
    F = _F()
    return (F.col(col) if isinstance(col, str) else col).cast("timestamp") + F.expr("INTERVAL 86399 SECONDS")


# ----------------------------------------------------------------- events_clean
def normalize_topic(raw: DataFrame, topic: str) -> DataFrame:
    """Rename, type and widen one topic's raw frame to the common column set."""
    F = _F()
    fields = all_fields()
    cols = []
    for name, dtype in fields.items():
        out_name = RENAMES.get(name, name)
        if name in raw.columns:
            cols.append(F.col(name).cast(dtype).alias(out_name))
        else:
            cols.append(F.lit(None).cast(dtype).alias(out_name))
    return raw.select(*cols).withColumn("topic", F.lit(topic))


def clean_events(raw: DataFrame) -> DataFrame:
    """Typed, deduplicated (by ``event_id``) and sessionized events.

    ``event_timestamp`` is parsed from ``occurred_at`` (ISO-8601 UTC, ``Z``);
    rows whose timestamp does not parse are dropped (the row-count gate
    compares raw and clean counts). ``session_id`` is ``<actor>-<yyyyMMddHHmmss
    of the session's first event>`` with a new session after 30 minutes of
    inactivity; sessions are cut at midnight UTC because each date partition
    is processed on its own.
    """
    from pyspark.sql import Window

    F = _F()
    df = raw.withColumn("event_timestamp", F.to_timestamp("occurred_at")).where(F.col("event_timestamp").isNotNull())
    first = Window.partitionBy("event_id").orderBy(F.col("event_timestamp"), F.col("producer"))
    df = df.withColumn("_rn", F.row_number().over(first)).where("_rn = 1").drop("_rn")
    df = df.withColumn("date", F.to_date("event_timestamp"))
    df = df.withColumn("actor_id", F.coalesce(F.col("learner_id"), F.col("user_id")))
    by_actor = Window.partitionBy("actor_id", "date").orderBy("event_timestamp", "event_id")
    gap = F.col("event_timestamp").cast("long") - F.lag(F.col("event_timestamp").cast("long")).over(by_actor)
    df = df.withColumn("_new", F.when(gap.isNull() | (gap > SESSION_GAP_S), 1).otherwise(0))
    df = df.withColumn("_seq", F.sum("_new").over(by_actor.rowsBetween(Window.unboundedPreceding, 0)))
    start = F.min("event_timestamp").over(Window.partitionBy("actor_id", "date", "_seq"))
    df = df.withColumn(
        "session_id",
        F.when(
            F.col("actor_id").isNotNull(),
            F.concat_ws("-", F.col("actor_id"), F.date_format(start, "yyyyMMddHHmmss")),
        ),
    )
    return df.drop("_new", "_seq")


# ----------------------------------------------------------------- helpers
def _orders(ev: DataFrame) -> DataFrame:
    """order_id -> course_id with the per-course share of the order amount."""
    F = _F()
    orders = ev.where(F.col("event_type") == "order.created").select("order_id", "course_ids")
    orders = orders.dropDuplicates(["order_id"])
    return orders.select(
        "order_id",
        F.explode("course_ids").alias("course_id"),
        F.size("course_ids").alias("n_courses"),
    )


def _money_by_course(ev: DataFrame, event_type: str, alias: str) -> DataFrame:
    """(date, course_id, <alias>) for order.paid / order.refunded, split evenly over the order's courses."""
    F = _F()
    money = ev.where(F.col("event_type") == event_type).select("date", "order_id", "amount_minor")
    joined = money.join(_orders(ev), "order_id")
    share = F.floor(F.col("amount_minor") / F.col("n_courses")).cast("long")
    return joined.groupBy("date", "course_id").agg(F.sum(share).cast("long").alias(alias))


def courses(ev: DataFrame) -> DataFrame:
    """Latest course.published row per course."""
    from pyspark.sql import Window

    F = _F()
    pub = ev.where(F.col("event_type") == "course.published")
    w = Window.partitionBy("course_id").orderBy(F.col("event_timestamp").desc(), F.col("event_id"))
    return (
        pub.withColumn("_rn", F.row_number().over(w))
        .where("_rn = 1")
        .select(
            "course_id",
            "title",
            "instructor_id",
            "category",
            F.col("price_minor").cast("long").alias("price_minor"),
            F.col("event_timestamp").alias("published_at"),
        )
    )


def _targets(spark, dates: list[date]) -> DataFrame:
    F = _F()
    return spark.createDataFrame([(d,) for d in dates], "date date").withColumn("day_n", _day_n(F.col("date")))


# ----------------------------------------------------------------- interactions
def interactions(ev: DataFrame, as_of: date) -> DataFrame:
    """One row per learner x course, cumulative up to ``as_of`` (inclusive).

    ``weight`` is the implicit-feedback strength used by the recommenders:
    ``ln(1 + views) + watch_seconds / 600 + 2 * completions + 3 * enrolled``
    (ten minutes of watching is worth one unit; an enrollment is the strongest
    signal short of finishing lessons).
    """
    F = _F()
    e = ev.where(
        (F.col("date") <= F.lit(as_of))
        & F.col("learner_id").isNotNull()
        & F.col("course_id").isNotNull()
        & F.col("event_type").isin("lesson.viewed", "video.progress", "enrollment.created")
    )
    agg = e.groupBy("learner_id", "course_id").agg(
        F.sum(F.when(F.col("event_type") == "lesson.viewed", 1).otherwise(0)).cast("long").alias("views"),
        F.coalesce(
            F.sum(F.when(F.col("event_type") == "video.progress", F.col("seconds_watched"))), F.lit(0.0)
        ).alias("watch_seconds"),
        F.sum(
            F.when((F.col("event_type") == "video.progress") & F.col("completed"), 1).otherwise(0)
        ).cast("long").alias("completions"),
        (F.max(F.when(F.col("event_type") == "enrollment.created", 1).otherwise(0)) == 1).alias("enrolled"),
        F.max("event_timestamp").alias("last_ts"),
    )
    weight = (
        F.log1p(F.col("views").cast("double"))
        + F.col("watch_seconds") / 600.0
        + 2.0 * F.col("completions")
        + 3.0 * F.col("enrolled").cast("double")
    )
    return agg.withColumn("weight", weight.cast("double")).withColumn("event_timestamp", F.col("last_ts")).select(
        "learner_id", "course_id", "weight", "last_ts", "event_timestamp", "views", "watch_seconds",
        "completions", "enrolled",
    )


# ----------------------------------------------------------------- learner_daily
def learner_daily(ev: DataFrame, dates: list[date]) -> DataFrame:
    """Per learner and date (learners with any event that day) plus 7/30-day rolling sums."""
    from pyspark.sql import Window

    F = _F()
    et = F.col("event_type")
    e = ev.where(F.col("actor_id").isNotNull() & (F.col("date") <= F.lit(max(dates))))
    daily = e.groupBy(F.col("actor_id").alias("learner_id"), "date").agg(
        F.sum(F.when(et == "lesson.viewed", 1).otherwise(0)).cast("long").alias("views"),
        (F.coalesce(F.sum(F.when(et == "video.progress", F.col("seconds_watched"))), F.lit(0.0)) / 60.0).alias(
            "watch_minutes"
        ),
        F.sum(F.when((et == "video.progress") & F.col("completed"), 1).otherwise(0)).cast("long").alias("completions"),
        F.sum(F.when(et == "enrollment.created", 1).otherwise(0)).cast("long").alias("enrollments"),
        F.sum(F.when(et == "payment.attempted", 1).otherwise(0)).cast("long").alias("payments"),
        F.sum(F.when(et == "payment.attempted", F.col("amount_minor")).otherwise(0)).cast("long").alias(
            "amount_minor_sum"
        ),
    )
    daily = daily.withColumn("day_n", _day_n(F.col("date")))
    w7 = Window.partitionBy("learner_id").orderBy("day_n").rangeBetween(-6, 0)
    w30 = Window.partitionBy("learner_id").orderBy("day_n").rangeBetween(-29, 0)
    amount_30 = F.sum("amount_minor_sum").over(w30)
    payments_30 = F.sum("payments").over(w30)
    out = (
        daily.withColumn("views_7d", F.sum("views").over(w7).cast("long"))
        .withColumn("watch_minutes_7d", F.sum("watch_minutes").over(w7))
        .withColumn("enrollments_30d", F.sum("enrollments").over(w30).cast("long"))
        .withColumn("payments_30d", payments_30.cast("long"))
        .withColumn(
            "avg_payment_amount_30d",
            F.when(payments_30 > 0, amount_30.cast("double") / payments_30).otherwise(F.lit(0.0)),
        )
        .withColumn("event_timestamp", _end_of_day(F.col("date")))
    )
    return out.where(F.col("date").isin(list(dates))).select(
        "learner_id", "date", "event_timestamp", "views", "watch_minutes", "completions", "enrollments",
        "payments", "amount_minor_sum", "views_7d", "watch_minutes_7d", "enrollments_30d",
        "avg_payment_amount_30d", "payments_30d",
    )


# ----------------------------------------------------------------- course_daily
def course_daily(ev: DataFrame, dates: list[date]) -> DataFrame:
    """Every known course x target date, zero-filled, with 7/30-day rolling stats."""
    from pyspark.sql import Window

    F = _F()
    spark = ev.sparkSession
    et = F.col("event_type")
    first = min(dates).toordinal() - 29
    grid_dates = [date.fromordinal(o) for o in range(first, max(dates).toordinal() + 1)]
    cat = courses(ev)
    grid = cat.crossJoin(_targets(spark, grid_dates))
    e = ev.where(F.col("course_id").isNotNull() & et.isin("lesson.viewed", "video.progress", "enrollment.created"))
    act = e.groupBy("course_id", "date").agg(
        F.sum(F.when(et == "lesson.viewed", 1).otherwise(0)).cast("long").alias("views"),
        (F.coalesce(F.sum(F.when(et == "video.progress", F.col("seconds_watched"))), F.lit(0.0)) / 60.0).alias(
            "watch_minutes"
        ),
        F.sum(F.when((et == "video.progress") & F.col("completed"), 1).otherwise(0)).cast("long").alias("completions"),
        F.sum(F.when(et == "enrollment.created", 1).otherwise(0)).cast("long").alias("enrollments"),
        F.countDistinct("learner_id").cast("long").alias("learners"),
    )
    revenue = _money_by_course(ev, "order.paid", "revenue_minor")
    df = grid.join(act, ["course_id", "date"], "left").join(revenue, ["course_id", "date"], "left")
    df = df.fillna(0, ["views", "completions", "enrollments", "learners", "revenue_minor"]).fillna(
        0.0, ["watch_minutes"]
    )
    w7 = Window.partitionBy("course_id").orderBy("day_n").rangeBetween(-6, 0)
    w30 = Window.partitionBy("course_id").orderBy("day_n").rangeBetween(-29, 0)
    views_30 = F.sum("views").over(w30)
    out = (
        df.withColumn("views_7d", F.sum("views").over(w7).cast("long"))
        .withColumn("enrollments_7d", F.sum("enrollments").over(w7).cast("long"))
        .withColumn(
            "completion_rate_30d",
            F.when(views_30 > 0, F.sum("completions").over(w30).cast("double") / views_30).otherwise(F.lit(0.0)),
        )
        .withColumn("published", F.col("published_at") < _end_of_day(F.col("date")) + F.expr("INTERVAL 1 SECOND"))
        .withColumn("event_timestamp", _end_of_day(F.col("date")))
    )
    return out.where(F.col("date").isin(list(dates))).select(
        "course_id", "date", "event_timestamp", "views", "watch_minutes", "completions", "enrollments",
        "learners", F.col("revenue_minor").cast("long").alias("revenue_minor"), "views_7d", "enrollments_7d",
        "completion_rate_30d", "price_minor", "category", "published",
    )


# ----------------------------------------------------------------- payments_labeled
def payments_labeled(ev: DataFrame, dates: list[date]) -> DataFrame:
    """One row per payment attempt of the target dates with outcome and fraud label.

    ``status`` comes from the payment.authorized / payment.declined event of the
    same ``payment_id`` (any date: the outcome may land after midnight);
    ``refunded`` from order.refunded as known at run time (re-run a date to
    refresh it). An unknown fraud label (-1) is stored as 0.
    """
    F = _F()
    et = F.col("event_type")
    att = ev.where((et == "payment.attempted") & F.col("date").isin(list(dates)))
    outcome = (
        ev.where(et.isin("payment.authorized", "payment.declined"))
        .groupBy("payment_id")
        .agg(F.max(F.when(et == "payment.authorized", 1).otherwise(0)).alias("_auth"), F.count("*").alias("_n"))
        .select(
            "payment_id",
            F.when(F.col("_auth") == 1, "authorized").otherwise("declined").alias("status"),
        )
    )
    refunds = ev.where(et == "order.refunded").select("payment_id").distinct().withColumn("refunded", F.lit(True))
    df = att.join(outcome, "payment_id", "left").join(refunds, "payment_id", "left")
    return df.select(
        "payment_id", "learner_id", "order_id", F.col("amount_minor").cast("long").alias("amount_minor"), "currency",
        "method", "device_id", "ip", "country", F.col("event_timestamp").alias("occurred_at"), "event_timestamp",
        "date", "status", F.coalesce(F.col("refunded"), F.lit(False)).alias("refunded"),
        F.greatest(F.coalesce(F.col("is_fraud"), F.lit(0)), F.lit(0)).cast("int").alias("is_fraud"),
        F.coalesce(F.col("fraud_pattern"), F.lit("")).alias("fraud_pattern"),
    )


# ----------------------------------------------------------------- marts
def mart_active_users(ev: DataFrame, dates: list[date]) -> DataFrame:
    """DAU / WAU (7 days) / MAU (30 days) of distinct active actors, per target date."""
    F = _F()
    spark = ev.sparkSession
    days = (
        ev.where(F.col("actor_id").isNotNull())
        .select("actor_id", _day_n(F.col("date")).alias("a_day"))
        .distinct()
    )
    t = _targets(spark, dates)
    j = t.join(days, (days.a_day <= t.day_n) & (days.a_day > t.day_n - 30))
    return j.groupBy("date").agg(
        F.countDistinct(F.when(F.col("a_day") == F.col("day_n"), F.col("actor_id"))).cast("long").alias("dau"),
        F.countDistinct(F.when(F.col("a_day") > F.col("day_n") - 7, F.col("actor_id"))).cast("long").alias("wau"),
        F.countDistinct("actor_id").cast("long").alias("mau"),
    )


def mart_retention_cohorts(ev: DataFrame, as_of: date) -> DataFrame:
    """Weekly signup cohorts (Monday weeks) x weeks since signup: retained actors and rate."""
    F = _F()
    e = ev.where(F.col("date") <= F.lit(as_of))
    reg = (
        e.where(F.col("event_type") == "user.registered")
        .groupBy(F.col("user_id").alias("actor_id"))
        .agg(F.min("event_timestamp").alias("reg_ts"))
        .withColumn("cohort_week", F.to_date(F.date_trunc("week", "reg_ts")))
    )
    sizes = reg.groupBy("cohort_week").agg(F.count("*").cast("long").alias("learners"))
    act = e.where(F.col("actor_id").isNotNull()).select(
        "actor_id", F.to_date(F.date_trunc("week", "event_timestamp")).alias("act_week")
    ).distinct()
    j = reg.join(act, "actor_id").withColumn(
        "week_offset", (F.datediff("act_week", "cohort_week") / 7).cast("int")
    ).where(F.col("week_offset") >= 0)
    ret = j.groupBy("cohort_week", "week_offset").agg(F.countDistinct("actor_id").cast("long").alias("retained"))
    return (
        ret.join(sizes, "cohort_week")
        .withColumn("retention", F.col("retained").cast("double") / F.col("learners"))
        .select("cohort_week", "week_offset", "learners", "retained", "retention")
    )


def mart_funnel(ev: DataFrame, dates: list[date]) -> DataFrame:
    """Per date: distinct viewers, enrollers and payers (order.paid) and step conversion rates."""
    F = _F()
    et = F.col("event_type")
    e = ev.where(F.col("date").isin(list(dates)) & F.col("learner_id").isNotNull())
    agg = e.groupBy("date").agg(
        F.countDistinct(F.when(et == "lesson.viewed", F.col("learner_id"))).cast("long").alias("viewers"),
        F.countDistinct(F.when(et == "enrollment.created", F.col("learner_id"))).cast("long").alias("enrollers"),
        F.countDistinct(F.when(et == "order.paid", F.col("learner_id"))).cast("long").alias("payers"),
    )
    ratio = lambda a, b: F.when(F.col(b) > 0, F.col(a).cast("double") / F.col(b)).otherwise(F.lit(0.0))  # noqa: E731
    return agg.select(
        "date", "viewers", "enrollers", "payers",
        ratio("enrollers", "viewers").alias("view_to_enroll"), ratio("payers", "enrollers").alias("enroll_to_pay"),
    )


def mart_revenue_by_course(ev: DataFrame, dates: list[date]) -> DataFrame:
    """Per date and course: gross (paid that day), refunds (refunded that day), net."""
    F = _F()
    gross = _money_by_course(ev, "order.paid", "gross_minor")
    refunds = _money_by_course(ev, "order.refunded", "refunds_minor")
    df = gross.join(refunds, ["date", "course_id"], "full").where(F.col("date").isin(list(dates)))
    df = df.fillna(0, ["gross_minor", "refunds_minor"])
    cat = courses(ev).select("course_id", "title", "instructor_id")
    return df.join(cat, "course_id", "left").select(
        "date", "course_id", "title", "instructor_id",
        F.col("gross_minor").cast("long").alias("gross_minor"),
        F.col("refunds_minor").cast("long").alias("refunds_minor"),
        (F.col("gross_minor") - F.col("refunds_minor")).cast("long").alias("net_minor"),
    )


def mart_revenue_by_instructor(by_course: DataFrame) -> DataFrame:
    """Per date and instructor; the payable is 85 % of net, floored to a minor unit."""
    F = _F()
    agg = by_course.groupBy("date", "instructor_id").agg(
        F.sum("gross_minor").cast("long").alias("gross_minor"), F.sum("net_minor").cast("long").alias("net_minor")
    )
    return agg.withColumn(
        "instructor_payable_minor", F.floor(F.col("net_minor") * INSTRUCTOR_SHARE_PCT / 100).cast("long")
    )
