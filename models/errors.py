"""Errors raised by the models package.

Training input problems are a user error (wrong table, empty extract, a label with
one class), not a bug: they get one exception type with a message that names the fix,
so the CLI and Dagster show a sentence instead of a numpy traceback.
"""

from __future__ import annotations


class TrainingInputError(ValueError):
    """The frame handed to a training entry point cannot be trained on."""


def require_columns(df, columns: list[str], what: str) -> None:
    """Fail with a clear message when ``df`` is missing any of ``columns`` or is empty."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TrainingInputError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise TrainingInputError(
            f"{what}: missing required column(s) {missing}; got columns {list(df.columns)}"
        )
    if len(df) == 0:
        raise TrainingInputError(f"{what}: the frame is empty; there is nothing to train on")
