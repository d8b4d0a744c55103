"""Search latency: Qdrant (local mode) dense / BM25 / hybrid queries vs a NumPy brute-force baseline.

Store-only latency on a synthetic collection (random unit vectors for the dense
side, real BM25 vectors from Python-docs text for the sparse side), so it runs in
seconds without embedding thousands of chunks; plus the query-embedding cost of
MiniLM, which is the other half of an end-to-end query. Baseline: exact cosine
top-k with one NumPy matrix product over the same vectors, measured in the same run.

    python benchmarks/bench_search_latency.py            # 5,000 points
    python benchmarks/bench_search_latency.py --points 20000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

QUERIES = ["read a file line by line", "os.path.join", "run coroutines concurrently", "parse json string",
           "sort a list of dicts by key", "start a background thread", "regular expression groups",
           "virtual environment", "measure execution time", "copy directory tree"]  # fmt: skip


def _texts(limit: int) -> list[str]:
    from crawlers.docs_server import PYTHON_DOCS_DIR
    from rag.extract import extract

    out: list[str] = []
    for path in sorted(PYTHON_DOCS_DIR.glob("library/*.html"))[:80]:
        for s in extract(path.read_bytes(), "http://x/").sections:
            out.extend(p for p in s.text.split("\n\n") if len(p) > 80)
        if len(out) >= limit:
            break
    return out[:limit] or ["placeholder text about python"]


def _ms(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=5000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3, help="passes over the query set")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "search_latency.json"))
    args = ap.parse_args()

    import numpy as np
    from qdrant_client import models
    from rich.console import Console
    from rich.table import Table

    from rag.embedding import DIM, embed
    from rag.sparse import doc_vector, query_vector
    from rag.store import DENSE, SPARSE, StoreLocation, ensure_collection, get_client

    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((args.points, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    texts = _texts(args.points)
    client = get_client(StoreLocation(path=Path(tempfile.mkdtemp(prefix="bench-search-lat-")) / "qdrant"))
    coll = ensure_collection(client)
    t0 = time.perf_counter()
    for i in range(0, args.points, 512):
        pts = []
        for j in range(i, min(i + 512, args.points)):
            idx, val = doc_vector(texts[j % len(texts)])
            pts.append(
                models.PointStruct(
                    id=j,
                    vector={DENSE: vecs[j].tolist(), SPARSE: models.SparseVector(indices=idx, values=val)},
                    payload={"text": texts[j % len(texts)], "course_id": f"c{j % 10}"},
                )
            )
        client.upsert(coll, pts)
    load_s = time.perf_counter() - t0

    qvecs = embed(QUERIES)
    k = args.k
    flt = models.Filter(must=[models.FieldCondition(key="course_id", match=models.MatchValue(value="c3"))])

    def run_all(kind: str) -> None:
        for q, qv in zip(QUERIES, qvecs, strict=True):
            qi, qval = query_vector(q)
            sq = models.SparseVector(indices=qi, values=qval)
            if kind == "numpy":
                np.argpartition(-(vecs @ qv), k)[:k]
            elif kind == "dense":
                client.query_points(coll, query=qv.tolist(), using=DENSE, limit=k)
            elif kind == "bm25":
                client.query_points(coll, query=sq, using=SPARSE, limit=k)
            elif kind in ("hybrid", "hybrid+filter"):
                client.query_points(
                    coll,
                    prefetch=[
                        models.Prefetch(query=qv.tolist(), using=DENSE, limit=4 * k),
                        models.Prefetch(query=sq, using=SPARSE, limit=4 * k),
                    ],
                    query=models.FusionQuery(fusion=models.Fusion.RRF),
                    query_filter=flt if kind == "hybrid+filter" else None,
                    limit=k,
                )
            elif kind == "embed":
                embed([q])

    rows = {}
    for kind in ("numpy", "dense", "bm25", "hybrid", "hybrid+filter", "embed"):
        run_all(kind)  # warm-up
        per_pass = _ms(lambda kind=kind: run_all(kind), args.repeat)
        per_q = [t / len(QUERIES) for t in per_pass]
        rows[kind] = {"mean_ms": round(statistics.mean(per_q), 3), "min_ms": round(min(per_q), 3)}
    base = rows["numpy"]["mean_ms"] or 1e-9
    table = Table(
        title=f"search latency per query, {args.points} points, k={k} (baseline: numpy brute force)"
    )
    for col in ("operation", "mean ms", "min ms", "vs numpy"):
        table.add_column(col, justify="left" if col == "operation" else "right")
    for kind, r in rows.items():
        r["ratio_vs_numpy"] = round(r["mean_ms"] / base, 2)
        table.add_row(kind, f"{r['mean_ms']:.2f}", f"{r['min_ms']:.2f}", f"{r['ratio_vs_numpy']:.1f}x")
    Console().print(table)
    out = {
        "benchmark": "search_latency",
        "points": args.points,
        "k": k,
        "load_s": round(load_s, 2),
        "rows": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
