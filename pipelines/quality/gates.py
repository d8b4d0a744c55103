"""Quality gates: each table has a contract; a check lists every violation at once.

Gates read Parquet with pyarrow (no Spark), so Dagster asset checks and the CLI
can run them in a second. :func:`assert_table_quality` raises
:class:`QualityError` whose message names every failed check, e.g.::

    learner_daily failed 2 quality checks:
      - schema: column views is string, expected int
      - null_rate: learner_id 3.10% nulls > 0.00% allowed
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd

from suuupra.lake import table_path
from suuupra.settings import Settings

Kind = str  # "string" | "int" | "float" | "bool" | "timestamp" | "date"


@dataclass(frozen=True)
class TableContract:
    """What a table must look like. ``freshness`` names the column holding event time."""

    name: str
    columns: dict[str, Kind]
    not_null: tuple[str, ...] = ()
    max_null_rate: dict[str, float] = field(default_factory=dict)
    min_rows: int = 1
    freshness: str | None = "event_timestamp"
    max_staleness_days: int = 2
    unique_key: tuple[str, ...] = ()


def _c(name: str, columns: dict[str, Kind], key: tuple[str, ...], **kw) -> TableContract:
    return TableContract(name=name, columns=columns, not_null=key, unique_key=key, **kw)


CONTRACTS: dict[str, TableContract] = {
    c.name: c
    for c in [
        _c("events_clean", {"event_id": "string", "event_type": "string", "topic": "string",
                            "event_timestamp": "timestamp", "date": "date"}, ("event_id",),
           max_null_rate={"session_id": 0.05}),
        _c("interactions", {"learner_id": "string", "course_id": "string", "weight": "float",
                            "last_ts": "timestamp", "event_timestamp": "timestamp", "views": "int",
                            "watch_seconds": "float", "completions": "int", "enrolled": "bool"},
           ("learner_id", "course_id"), max_staleness_days=3),
        _c("learner_daily", {"learner_id": "string", "date": "date", "event_timestamp": "timestamp", "views": "int",
                             "watch_minutes": "float", "completions": "int", "enrollments": "int",
                             "payments": "int", "amount_minor_sum": "int", "views_7d": "int",
                             "watch_minutes_7d": "float", "enrollments_30d": "int",
                             "avg_payment_amount_30d": "float", "payments_30d": "int"}, ("learner_id", "date")),
        _c("course_daily", {"course_id": "string", "date": "date", "event_timestamp": "timestamp", "views": "int",
                            "watch_minutes": "float", "completions": "int", "enrollments": "int", "learners": "int",
                            "revenue_minor": "int", "views_7d": "int", "enrollments_7d": "int",
                            "completion_rate_30d": "float", "price_minor": "int", "category": "string",
                            "published": "bool"}, ("course_id", "date")),
        _c("payments_labeled", {"payment_id": "string", "learner_id": "string", "order_id": "string",
                                 "amount_minor": "int", "currency": "string", "method": "string",
                                 "device_id": "string", "ip": "string", "country": "string",
                                 "occurred_at": "timestamp", "event_timestamp": "timestamp", "date": "date",
                                 "status": "string", "refunded": "bool", "is_fraud": "int",
                                 "fraud_pattern": "string"}, ("payment_id",),
           max_null_rate={"status": 0.01}, max_staleness_days=3),
        _c("mart_active_users", {"date": "date", "dau": "int", "wau": "int", "mau": "int"}, ("date",),
           freshness="date"),
        _c("mart_retention_cohorts", {"cohort_week": "date", "week_offset": "int", "learners": "int",
                                      "retained": "int", "retention": "float"}, ("cohort_week", "week_offset"),
           freshness="cohort_week", max_staleness_days=8),
        _c("mart_funnel", {"date": "date", "viewers": "int", "enrollers": "int", "payers": "int",
                           "view_to_enroll": "float", "enroll_to_pay": "float"}, ("date",), freshness="date"),
        _c("mart_revenue_by_course", {"date": "date", "course_id": "string", "title": "string",
                                      "instructor_id": "string", "gross_minor": "int", "refunds_minor": "int",
                                      "net_minor": "int"}, ("date", "course_id"), freshness="date",
           max_staleness_days=3),
        _c("mart_revenue_by_instructor", {"date": "date", "instructor_id": "string", "gross_minor": "int",
                                          "net_minor": "int", "instructor_payable_minor": "int"},
           ("date", "instructor_id"), freshness="date", max_staleness_days=3),
    ]
}


@dataclass(frozen=True)
class CheckResult:
    check: str
    passed: bool
    detail: str


class QualityError(RuntimeError):
    """A table failed one or more quality checks; ``failures`` lists them."""

    def __init__(self, table: str, failures: list[CheckResult]) -> None:
        self.table = table
        self.failures = failures
        lines = "\n".join(f"  - {f.check}: {f.detail}" for f in failures)
        super().__init__(f"{table} failed {len(failures)} quality check(s):\n{lines}")


def _kind(series: pd.Series) -> Kind:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):  # hive partition column read back by pyarrow
        sample = series.dropna().astype(str).head(1).tolist()
        return "date" if sample and _is_iso_date(sample[0]) else "string"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    sample = series.dropna().head(1).tolist()
    if sample and isinstance(sample[0], date) and not isinstance(sample[0], datetime):
        return "date"
    return "string"


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def read_table_frame(name: str, settings: Settings, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a lake table (hive-partitioned Parquet directory) into pandas."""
    import pyarrow.dataset as ds

    path: Path = table_path(name, settings)
    if not path.exists():
        raise FileNotFoundError(f"table {name} not found at {path}")
    dataset = ds.dataset(str(path), format="parquet", partitioning="hive",
                         exclude_invalid_files=True, ignore_prefixes=[".", "_"])
    cols = list(dict.fromkeys(c for c in (columns or dataset.schema.names) if c in dataset.schema.names))
    df = dataset.to_table(columns=cols).to_pandas()
    if "date" in df.columns and not pd.api.types.is_datetime64_any_dtype(df["date"].dtype):
        # hive partition values come back as strings; restore the date type Spark wrote
        df["date"] = pd.to_datetime(df["date"].astype(str)).dt.date
    return df


def _newest(series: pd.Series) -> date | None:
    s = series.dropna()
    if s.empty:
        return None
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return pd.Timestamp(s.max()).date()
    return max(date.fromisoformat(str(v)[:10]) for v in s.astype(str).unique())


def check_frame(
    contract: TableContract, df: pd.DataFrame, as_of: date | None = None
) -> list[CheckResult]:
    """Run every check of ``contract`` on ``df``; ``as_of`` is the date the data should reach."""
    results: list[CheckResult] = []
    bad = []
    for col, kind in contract.columns.items():
        if col not in df.columns:
            bad.append(f"missing column {col}")
        elif (actual := _kind(df[col])) != kind and not (kind == "date" and actual == "timestamp"):
            bad.append(f"column {col} is {actual}, expected {kind}")
    results.append(CheckResult("schema", not bad, "; ".join(bad) or f"{len(contract.columns)} columns ok"))

    n = len(df)
    results.append(CheckResult("row_count", n >= contract.min_rows, f"{n} rows (min {contract.min_rows})"))

    nulls = []
    limits = {c: 0.0 for c in contract.not_null} | dict(contract.max_null_rate)
    for col, limit in limits.items():
        if col in df.columns and n:
            rate = float(df[col].isna().mean())
            if rate > limit:
                nulls.append(f"{col} {rate:.2%} nulls > {limit:.2%} allowed")
    results.append(CheckResult("null_rate", not nulls, "; ".join(nulls) or "within limits"))

    if contract.unique_key and all(c in df.columns for c in contract.unique_key) and n:
        dups = int(df.duplicated(list(contract.unique_key)).sum())
        results.append(CheckResult("unique_key", dups == 0, f"{dups} duplicate {contract.unique_key} rows"))

    if contract.freshness and contract.freshness in df.columns and as_of is not None:
        newest = _newest(df[contract.freshness])
        limit = as_of - timedelta(days=contract.max_staleness_days)
        ok = newest is not None and newest >= limit
        results.append(CheckResult(
            "freshness", ok, f"newest {contract.freshness} {newest} (must be >= {limit}, data as of {as_of})"
        ))
    return results


def newest_raw_date(settings: Settings) -> date | None:
    """Newest ``date=`` partition of the raw event lake (what freshness is measured against)."""
    dates = [p.name.split("=", 1)[1] for p in settings.events_dir.glob("topic=*/date=*") if p.is_dir()]
    return max(date.fromisoformat(d) for d in dates) if dates else None


def check_table(name: str, settings: Settings, as_of: date | None = None) -> list[CheckResult]:
    """Checks of lake table ``name``; ``as_of`` defaults to the newest raw date (else today, UTC)."""
    if name not in CONTRACTS:
        raise KeyError(f"no quality contract for table {name!r}; known: {', '.join(CONTRACTS)}")
    contract = CONTRACTS[name]
    try:
        df = read_table_frame(name, settings, list(contract.columns) + list(contract.max_null_rate))
    except FileNotFoundError as exc:
        return [CheckResult("exists", False, str(exc))]
    as_of = as_of or newest_raw_date(settings) or datetime.now(UTC).date()
    return check_frame(contract, df, as_of)


def assert_table_quality(name: str, settings: Settings, as_of: date | None = None) -> list[CheckResult]:
    """Like :func:`check_table` but raises :class:`QualityError` listing every failure."""
    results = check_table(name, settings, as_of)
    failures = [r for r in results if not r.passed]
    if failures:
        raise QualityError(name, failures)
    return results
