"""Retrieval quality on the Python docs: a small labelled query set and page-level metrics.

Each query is phrased the way a learner would ask (mostly *not* using the page
title) and is labelled with the page(s) that answer it. Metrics are page-level,
because a learner clicks a page: hit@1, recall@5 and MRR@10 over the ranked,
de-duplicated page list. Queries whose answer page is not in the index (a
``max_pages`` subset) are skipped and counted, so the eval also works on small
test indexes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from rag.store import StoreLocation

# (query, acceptable answer pages relative to the docs root)
PYTHON_DOCS_QUERIES: list[tuple[str, tuple[str, ...]]] = [
    ("how do I read a file line by line", ("tutorial/inputoutput.html",)),
    ("format a float with two decimals in a string", ("tutorial/inputoutput.html", "library/string.html")),
    ("catch an exception and clean up afterwards", ("tutorial/errors.html", "reference/compound_stmts.html")),
    ("define my own exception type", ("tutorial/errors.html", "library/exceptions.html")),
    ("create a virtual environment for a project", ("tutorial/venv.html", "library/venv.html")),
    ("list comprehension syntax", ("tutorial/datastructures.html",)),
    ("default values for function arguments", ("tutorial/controlflow.html",)),
    ("inheritance and calling the parent class method", ("tutorial/classes.html",)),
    ("os.path.join", ("library/os.path.html",)),
    ("check whether a file exists", ("library/os.path.html", "library/pathlib.html")),
    ("object-oriented filesystem paths", ("library/pathlib.html",)),
    ("parse a JSON string into a dict", ("library/json.html",)),
    ("run coroutines concurrently and wait for all of them", ("library/asyncio-task.html",)),
    ("asyncio.gather", ("library/asyncio-task.html",)),
    ("cache the results of an expensive function", ("library/functools.html",)),
    ("count how many times each element occurs", ("library/collections.html",)),
    ("all permutations of a list", ("library/itertools.html",)),
    ("regular expression to match an email address", ("library/re.html", "howto/regex.html")),
    ("difference between two dates in days", ("library/datetime.html",)),
    ("run an external command and capture its output", ("library/subprocess.html",)),
    ("parse command line options", ("library/argparse.html", "howto/argparse.html")),
    ("write log messages to a file", ("library/logging.html", "howto/logging.html")),
    ("write unit tests with assertions", ("library/unittest.html",)),
    ("read a CSV file", ("library/csv.html",)),
    ("store data in an embedded SQL database", ("library/sqlite3.html",)),
    ("start a background thread", ("library/threading.html",)),
    ("class with automatically generated __init__", ("library/dataclasses.html",)),
    ("type hints for a function that returns a list of strings", ("library/typing.html",)),
    ("pick a random element from a list", ("library/random.html",)),
    ("sort a list of dicts by a key", ("howto/sorting.html",)),
    ("with statement resource management helper", ("library/contextlib.html",)),
    ("download a web page over HTTP", ("library/urllib.request.html",)),
    ("compute the SHA-256 hash of a file", ("library/hashlib.html",)),
    ("copy a whole directory tree", ("library/shutil.html",)),
    ("priority queue", ("library/heapq.html",)),
    ("serialize arbitrary Python objects to bytes", ("library/pickle.html",)),
    ("measure how long a small snippet takes to run", ("library/timeit.html",)),
    ("extract files from a zip archive", ("library/zipfile.html",)),
]


@dataclass
class ModeReport:
    mode: str
    queries: int = 0
    hit_at_1: float = 0.0
    recall_at_5: float = 0.0
    recall_at_10: float = 0.0
    mrr_at_10: float = 0.0
    ndcg_at_10: float = 0.0  # one relevant page per query: 1/log2(rank+1)
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    per_query: list[tuple[str, int | None]] = field(default_factory=list)  # (query, rank of first right page)


@dataclass
class EvalReport:
    evaluated: int
    skipped: int
    modes: dict[str, ModeReport]


def _page(url: str, base: str) -> str:
    url = url.split("#", 1)[0]
    return url[len(base) :] if url.startswith(base) else url


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def evaluate(
    base_url: str,
    *,
    store: StoreLocation,
    modes: Iterable[str] = ("hybrid", "dense", "bm25"),
    queries: list[tuple[str, tuple[str, ...]]] | None = None,
    source: str | None = "python-docs",
) -> EvalReport:
    """Run the labelled queries against the live index at ``store`` whose page URLs start with ``base_url``."""
    from rag.retrieval import search
    from rag.store import get_client, resolve_alias

    queries = queries if queries is not None else PYTHON_DOCS_QUERIES
    client = get_client(store)
    collection = resolve_alias(client)
    indexed: set[str] = set()
    if collection is not None:
        offset = None
        while True:
            pts, offset = client.scroll(collection, limit=2048, offset=offset, with_payload=["url"])
            indexed.update(_page(p.payload["url"], base_url) for p in pts if p.payload)
            if offset is None:
                break
    usable = [(q, ans) for q, ans in queries if any(a in indexed for a in ans)]
    filters = {"source": source} if source else None
    reports: dict[str, ModeReport] = {}
    for mode in modes:
        rep = ModeReport(mode=mode, queries=len(usable))
        lat: list[float] = []
        for q, answers in usable:
            t0 = time.perf_counter()
            hits = search(q, k=30, filters=filters, store=store, mode=mode)  # type: ignore[arg-type]
            lat.append((time.perf_counter() - t0) * 1000)
            pages: list[str] = []
            for h in hits:
                p = _page(h.url, base_url)
                if p not in pages:
                    pages.append(p)
            rank = next((i + 1 for i, p in enumerate(pages[:10]) if p in answers), None)
            rep.per_query.append((q, rank))
            if rank == 1:
                rep.hit_at_1 += 1
            if rank is not None and rank <= 5:
                rep.recall_at_5 += 1
            if rank is not None:
                rep.mrr_at_10 += 1.0 / rank
                rep.recall_at_10 += 1
                rep.ndcg_at_10 += 1.0 / math.log2(rank + 1)
        n = max(len(usable), 1)
        rep.hit_at_1 = round(rep.hit_at_1 / n, 4)
        rep.recall_at_5 = round(rep.recall_at_5 / n, 4)
        rep.mrr_at_10 = round(rep.mrr_at_10 / n, 4)
        rep.recall_at_10 = round(rep.recall_at_10 / n, 4)
        rep.ndcg_at_10 = round(rep.ndcg_at_10 / n, 4)
        rep.p50_ms = round(_pct(lat, 0.5), 2)
        rep.p95_ms = round(_pct(lat, 0.95), 2)
        reports[mode] = rep
    return EvalReport(evaluated=len(usable), skipped=len(queries) - len(usable), modes=reports)


def report_markdown(report: EvalReport) -> str:
    lines = [
        f"{report.evaluated} labelled queries evaluated ({report.skipped} skipped: answer page not indexed)",
        "",
        "| mode | hit@1 | recall@5 | recall@10 | nDCG@10 | MRR@10 | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report.modes.values():
        lines.append(
            f"| {r.mode} | {r.hit_at_1:.3f} | {r.recall_at_5:.3f} | {r.recall_at_10:.3f} | {r.ndcg_at_10:.3f} "
            f"| {r.mrr_at_10:.3f} | {r.p50_ms} | {r.p95_ms} |"
        )
    return "\n".join(lines)
