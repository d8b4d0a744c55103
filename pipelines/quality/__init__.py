"""Data quality gates over the lake tables (schema, row counts, null rates, freshness)."""

from pipelines.quality.gates import (
    CONTRACTS,
    CheckResult,
    QualityError,
    TableContract,
    assert_table_quality,
    check_frame,
    check_table,
)

__all__ = [
    "CONTRACTS",
    "CheckResult",
    "QualityError",
    "TableContract",
    "assert_table_quality",
    "check_frame",
    "check_table",
]
