"""File-backed SQLite URLs: the database file is created by its driver, its folder is not."""

from __future__ import annotations

from pathlib import Path


def ensure_sqlite_parent(url: str) -> None:
    """Create the folder of a file-backed SQLite URL (``sqlite:///...``, also MLflow's URIs).

    A fresh data dir has none yet, and SQLite (SQLAlchemy, MLflow) then fails with
    "unable to open database file" instead of creating it. Other URLs are left alone.
    """
    db_file = url.split("///", 1)[1] if url.startswith("sqlite") and "///" in url else ""
    if db_file and db_file != ":memory:":
        Path(db_file).parent.mkdir(parents=True, exist_ok=True)
