"""Retrieval quality of hybrid search vs its single retrievers on the Python docs.

Baseline: BM25 alone (what a keyword search box gives). Hybrid and dense are
reported as ratios to it, measured in the same run on the same index. By default
a fresh temporary index of the pages that answer the first ``--max-pages`` labelled
queries is built (minutes on 2 cores); ``--existing`` evaluates the live index
(e.g. after ``suuupra crawl run`` indexed the full docs) instead.

    python benchmarks/bench_search_quality.py                 # small, temp index
    python benchmarks/bench_search_quality.py --max-pages 60  # all labelled pages
    python benchmarks/bench_search_quality.py --existing      # the live full-docs index
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _answer_pages(max_pages: int) -> list[str]:
    from rag.eval import PYTHON_DOCS_QUERIES

    pages: list[str] = []
    for _, answers in PYTHON_DOCS_QUERIES:
        new = [a for a in answers if a not in pages]
        if len(pages) + len(new) > max_pages:
            break
        pages.extend(new)
    return pages


def _build_temp_index(pages: list[str], base: str, store) -> dict:
    from crawlers.docs_server import PYTHON_DOCS_DIR
    from rag.extract import extract
    from rag.index import index_documents
    from rag.types import Document

    docs = []
    for rel in pages:
        page = extract((PYTHON_DOCS_DIR / rel).read_bytes(), base + rel)
        docs.append(Document(url=base + rel, title=page.title, sections=page.sections, source="python-docs"))
    t0 = time.perf_counter()
    stats = index_documents(docs, store=store, progress=True)
    return {
        "pages": len(docs),
        "chunks": stats.chunks_upserted,
        "index_s": round(time.perf_counter() - t0, 1),
    }


def _print_table(name: str, report) -> None:
    from rich.console import Console
    from rich.table import Table

    base_ndcg = report.modes["bm25"].ndcg_at_10 or 1e-9
    table = Table(title=f"search quality: {name} ({report.evaluated} queries, baseline = bm25)")
    for col in ("mode", "hit@1", "recall@5", "recall@10", "nDCG@10", "MRR@10", "nDCG vs bm25", "p50 ms", "p95 ms"):
        table.add_column(col, justify="right" if col != "mode" else "left")
    for r in report.modes.values():
        table.add_row(r.mode, f"{r.hit_at_1:.3f}", f"{r.recall_at_5:.3f}", f"{r.recall_at_10:.3f}",
                      f"{r.ndcg_at_10:.3f}", f"{r.mrr_at_10:.3f}", f"{r.ndcg_at_10 / base_ndcg:.3f}x",
                      f"{r.p50_ms:.1f}", f"{r.p95_ms:.1f}")
    Console().print(table)


def _modes_json(report) -> dict:
    base_mrr = report.modes["bm25"].mrr_at_10 or 1e-9
    base_ndcg = report.modes["bm25"].ndcg_at_10 or 1e-9
    return {
        m: {
            "hit_at_1": r.hit_at_1,
            "recall_at_5": r.recall_at_5,
            "recall_at_10": r.recall_at_10,
            "ndcg_at_10": r.ndcg_at_10,
            "mrr_at_10": r.mrr_at_10,
            "mrr_ratio_vs_bm25": round(r.mrr_at_10 / base_mrr, 3),
            "ndcg_ratio_vs_bm25": round(r.ndcg_at_10 / base_ndcg, 3),
            "p50_ms": r.p50_ms,
            "p95_ms": r.p95_ms,
            "misses": [q for q, rank in r.per_query if rank is None or rank > 5],
        }
        for m, r in report.modes.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-pages", type=int, default=12, help="labelled answer pages to index (default 12)")
    ap.add_argument("--existing", action="store_true", help="evaluate the live index instead of a temp one")
    ap.add_argument("--derived", action="store_true",
                    help="also evaluate the query sets derived from the docs (module synopses, glossary)")
    ap.add_argument("--base-url", default=None, help="URL prefix of indexed pages (default: docs_port URL)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "search_quality.json"))
    args = ap.parse_args()

    from rich.console import Console

    from rag.store import StoreLocation
    from suuupra.settings import load_settings

    # --existing: the live index of this environment; otherwise a throwaway local store.
    settings = load_settings() if args.existing else load_settings(
        data_dir=Path(tempfile.mkdtemp(prefix="bench-search-")), profile="local", qdrant_url=None)
    store = StoreLocation.from_settings(settings)
    base = args.base_url or f"http://127.0.0.1:{settings.docs_port}/"
    build = {"existing": True}
    if not args.existing:
        build = _build_temp_index(_answer_pages(args.max_pages), base, store)

    from rag.eval import evaluate, report_markdown

    sets = {"labelled": None}  # None: rag.eval's hand-labelled learner questions
    if args.derived:
        from crawlers.docs_server import PYTHON_DOCS_DIR
        from rag.eval_derived import derived_query_sets

        sets.update(derived_query_sets(PYTHON_DOCS_DIR))
    results = {}
    for name, queries in sets.items():
        report = evaluate(base, store=store, queries=queries)
        _print_table(name, report)
        results[name] = {
            "evaluated": report.evaluated,
            "skipped": report.skipped,
            "baseline": "bm25",
            "modes": _modes_json(report),
            "markdown": report_markdown(report),
        }
    Console().print(build)
    labelled = results["labelled"]
    out = {
        "benchmark": "search_quality",
        "build": build,
        "evaluated": labelled["evaluated"],
        "skipped": labelled["skipped"],
        "baseline": "bm25",
        "modes": labelled["modes"],
        "markdown": labelled["markdown"],
        "derived_sets": {k: v for k, v in results.items() if k != "labelled"},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
