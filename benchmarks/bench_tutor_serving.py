"""Tutor benchmark: serving overhead of the local LLM and the tutor's retrieval+prompt overhead.

Measured in one run, on the same prompts:

1. **direct** — SmolLM2 via transformers in this process (:class:`rag.llm.smollm2.LocalChatModel`),
   streamed: time to first token (TTFT) and decode tokens/s. This is the baseline.
2. **served** — the same model behind the Ray Serve OpenAI endpoint (``/llm/v1``), called with
   the official ``openai`` client, streamed. Ratio served/direct = serving overhead.
3. **tutor** — the tutor endpoint (``/tutor/v1``): retrieval + packing + prompt + the LLM call.
   ``prepare`` (retrieval + prompt, in-process over the same index) is reported per request, and
   tutor TTFT is compared with the served LLM's TTFT on the tutor's own prompt.

The three paths run interleaved per prompt (direct, served, tutor) so that load changes on
a shared machine hit all of them alike.

Usage: ``python benchmarks/bench_tutor_serving.py [--n 5] [--max-tokens 32]``
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

QUESTIONS = [
    "What does the break statement do in a loop?",
    "How do I remove an item from a list by its index?",
    "How do I loop over a dictionary's keys and values at the same time?",
    "How do I open a file for writing?",
    "How can I use a list as a stack?",
    "What does the continue statement do?",
    "How do I read a whole file into a string?",
    "How do I sort the keys of a dictionary?",
]
PAGES = ["tutorial/datastructures.html", "tutorial/inputoutput.html", "tutorial/controlflow.html"]
SECTIONS = ["More on Lists", "Lists as Stacks", "Dictionaries", "Reading and Writing Files", "break and continue"]


def _p50(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def direct_stream(model, msgs: list[dict], max_tokens: int) -> tuple[float, float, int]:
    """(TTFT, total seconds, completion tokens) for one in-process streamed generation."""
    t0 = time.perf_counter()
    first = None
    stats: dict = {}
    for _ in model.stream(msgs, max_tokens=max_tokens, stats=stats):
        first = first or time.perf_counter() - t0
    total = time.perf_counter() - t0
    return first or total, total, stats["usage"]["completion_tokens"]


def _stream_openai(client, model: str, msgs: list[dict], max_tokens: int, extra: dict | None = None):
    t0 = time.perf_counter()
    first, n = None, 0
    stream = client.chat.completions.create(
        model=model,
        messages=msgs,
        max_tokens=max_tokens,
        stream=True,
        stream_options={"include_usage": True},
        extra_body=extra or {},
    )
    for chunk in stream:
        if chunk.usage:
            n = chunk.usage.completion_tokens
        for ch in chunk.choices:
            if ch.delta.content and first is None:
                first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    return first or total, total, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5, help=f"questions (max {len(QUESTIONS)})")
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1, help="torch threads, same for direct and served")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks/results/bench_tutor_serving.json")
    args = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from openai import OpenAI
    from rich.console import Console
    from rich.table import Table

    from rag import StoreLocation, index_documents
    from rag.store import close_clients
    from rag.tutor.eval.corpus import injection_documents, python_docs_documents
    from rag.tutor.pipeline import TutorPipeline
    from serving.tutor_local import LocalTutorStack
    from suuupra.settings import load_settings

    # One throwaway local platform: a value here, the same values as environment for the replicas.
    data_dir = Path(tempfile.mkdtemp(prefix="bench_tutor_"))
    settings = load_settings(data_dir=data_dir, profile="local", qdrant_url=None, llm_num_threads=args.threads)
    replica_env = {"SUUUPRA_DATA_DIR": str(data_dir), "SUUUPRA_PROFILE": "local",
                   "SUUUPRA_LLM_NUM_THREADS": str(args.threads)}
    store = StoreLocation.from_settings(settings)
    console = Console()
    questions = QUESTIONS[: max(1, min(args.n, len(QUESTIONS)))]
    console.print("indexing a small Python-docs corpus ...")
    index_documents(python_docs_documents(PAGES, sections=SECTIONS) + injection_documents(), store=store)

    # Retrieval + prompt building, in-process (what the tutor adds before the LLM call).
    pipe = TutorPipeline(settings)
    pipe.prepare([{"role": "user", "content": questions[0]}])  # warm the embedding model
    prep_ms, prompts, kept = [], [], []
    for q in questions:
        t0 = time.perf_counter()
        turn = pipe.prepare([{"role": "user", "content": q}])
        prep_ms.append((time.perf_counter() - t0) * 1000)
        if turn.refusal is None:  # a refused question has no LLM prompt to compare
            prompts.append(turn.messages)
            kept.append(q)
    close_clients()
    if not prompts:
        raise SystemExit("every benchmark question was refused: is the index empty?")
    questions = kept

    from rag.llm.smollm2 import LocalChatModel

    console.print("loading the direct transformers baseline ...")
    model = LocalChatModel(num_threads=args.threads)
    model.generate(prompts[0], max_tokens=4)  # warm-up
    console.print("starting Ray Serve (LLM + tutor) ...")
    d_ttft, d_tps, s_ttft, s_tps, t_ttft, t_total = [], [], [], [], [], []
    with LocalTutorStack(env=replica_env, llm_args={"num_threads": args.threads}) as stack:
        llm = OpenAI(base_url=stack.llm_url, api_key="x", max_retries=0, timeout=300)
        tutor = OpenAI(base_url=stack.tutor_url, api_key="x", max_retries=0, timeout=300)
        _stream_openai(llm, "SmolLM2-135M-Instruct", prompts[0], 4)  # warm-up
        _stream_openai(tutor, "suuupra-tutor", [{"role": "user", "content": questions[0]}], 4)
        # Interleaved per prompt (direct, served, tutor): the machine is shared, so load
        # drift hits all three paths alike instead of biasing whichever ran last.
        for q, msgs in zip(questions, prompts, strict=True):
            first, total, n = direct_stream(model, msgs, args.max_tokens)
            d_ttft.append(first)
            d_tps.append(n / max(1e-6, total - first))
            first, total, n = _stream_openai(llm, "SmolLM2-135M-Instruct", msgs, args.max_tokens)
            s_ttft.append(first)
            s_tps.append(n / max(1e-6, total - first))
            first, total, _ = _stream_openai(tutor, "suuupra-tutor", [{"role": "user", "content": q}], args.max_tokens)
            t_ttft.append(first)
            t_total.append(total)

    direct = {"ttft_p50_s": _p50(d_ttft), "tokens_per_s": statistics.fmean(d_tps)}
    served = {"ttft_p50_s": _p50(s_ttft), "tokens_per_s": statistics.fmean(s_tps)}
    tutor_r = {"ttft_p50_s": _p50(t_ttft), "total_p50_s": _p50(t_total)}
    result = {
        "n": len(questions),
        "max_tokens": args.max_tokens,
        "threads": args.threads,
        "direct": direct,
        "served": served,
        "tutor": tutor_r,
        "prepare_ms_p50": _p50(prep_ms),
        "ratios": {
            "served_vs_direct_ttft": served["ttft_p50_s"] / direct["ttft_p50_s"],
            "served_vs_direct_tokens_per_s": served["tokens_per_s"] / direct["tokens_per_s"],
            "tutor_vs_served_ttft": tutor_r["ttft_p50_s"] / served["ttft_p50_s"],
        },
        "load_avg_1m": os.getloadavg()[0],
        "raw": {"direct_ttft": d_ttft, "served_ttft": s_ttft, "tutor_ttft": t_ttft, "tutor_total": t_total},
    }
    table = Table(title=f"tutor serving benchmark (n={len(questions)}, max_tokens={args.max_tokens})")
    for col in ("path", "TTFT p50 (s)", "tokens/s", "ratio vs baseline"):
        table.add_column(col, justify="right" if col != "path" else "left")
    table.add_row("direct transformers (baseline)", f"{direct['ttft_p50_s']:.3f}", f"{direct['tokens_per_s']:.1f}", "1.00")
    table.add_row(
        "Ray Serve /llm/v1 (openai client)",
        f"{served['ttft_p50_s']:.3f}",
        f"{served['tokens_per_s']:.1f}",
        f"TTFT x{result['ratios']['served_vs_direct_ttft']:.2f}, tok/s x"
        f"{result['ratios']['served_vs_direct_tokens_per_s']:.2f}",
    )
    table.add_row(
        "tutor /tutor/v1 (retrieval+prompt+LLM)",
        f"{tutor_r['ttft_p50_s']:.3f}",
        "",
        f"TTFT x{result['ratios']['tutor_vs_served_ttft']:.2f} vs served LLM",
    )
    table.add_row("prepare() in-process (retrieval+packing+prompt)", f"{result['prepare_ms_p50'] / 1000:.3f}", "", "")
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
