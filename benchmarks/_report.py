"""Shared helpers for benchmark scripts: a rich table on stdout and JSON on disk."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"


def report(name: str, title: str, rows: list[dict[str, Any]], notes: str = "") -> Path:
    """Print ``rows`` as a table and write them to ``benchmarks/results/<name>.json``."""
    table = Table(title=title)
    columns = list(rows[0]) if rows else []
    for col in columns:
        table.add_column(col, justify="right" if isinstance(rows[0][col], int | float) else "left")
    for row in rows:
        table.add_row(*(f"{v:,.3f}" if isinstance(v, float) else str(v) for v in row.values()))
    Console().print(table)
    if notes:
        Console().print(notes)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps({
        "benchmark": name, "title": title, "rows": rows, "notes": notes,
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }, indent=2))
    return out
