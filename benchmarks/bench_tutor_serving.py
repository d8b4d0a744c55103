"""Tutor latency: the served tutor (Ray Serve, OpenAI protocol, streamed) beside a direct call.

Measured in one run, interleaved request by request so that load drift on a shared
machine hits both paths alike:

1. **direct** (baseline) — :meth:`TutorPipeline.answer` in this process: rewrite, hybrid
   search, evidence selection, compose, faithfulness check. No HTTP, no Serve.
2. **served** — the same question through ``/tutor/v1/chat/completions`` with the official
   ``openai`` client and ``stream: true``: time to first token (TTFT) and whole answer, as
   a learner's client sees them.

Questions are the labelled answerable questions of ``rag/tutor/eval/questions.jsonl`` (answer
and hint mode), cycled. Before any figure is reported the script asserts the work was done:
every measured request was answered (not refused) and carried at least one citation.
Warm-up requests are not measured. p50 and p99 per path; the load average is printed.

Run on the real corpus, the platform's crawl of the full Python docs::

    SUUUPRA_DATA_DIR=/path/to/crawl python benchmarks/bench_tutor_serving.py --requests 2000

Without ``SUUUPRA_DATA_DIR`` pointing at an index the script refuses to run (a benchmark over
an empty or toy index measures nothing a learner sees).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _pct(xs: list[float], p: float) -> float:
    v = sorted(xs)
    return v[min(len(v) - 1, round(p * (len(v) - 1)))] if v else float("nan")


def _stream_tutor(client, question: str, mode: str, max_tokens: int) -> tuple[float, float, str, list]:
    """(TTFT s, total s, text, citations) of one streamed tutor request."""
    t0 = time.perf_counter()
    first, text, citations = None, "", []
    stream = client.chat.completions.create(
        model="suuupra-tutor-hint" if mode == "hint" else "suuupra-tutor",
        messages=[{"role": "user", "content": question}],
        max_tokens=max_tokens,
        stream=True,
    )
    for chunk in stream:
        for ch in chunk.choices:
            if ch.delta.content:
                first = first or time.perf_counter() - t0
                text += ch.delta.content
            extra = ch.delta.model_extra or {}
            if extra.get("citations"):
                citations = extra["citations"]
    total = time.perf_counter() - t0
    return first or total, total, text, citations


def _answers(pipe, q, max_tokens: int) -> bool:  # noqa: ANN001 - TutorPipeline, EvalQuestion
    ans = asyncio.run(pipe.answer([{"role": "user", "content": q.question}], mode=q.mode, max_tokens=max_tokens))
    return ans.refusal_kind is None and bool(ans.citations)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000, help="measured requests per path")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--max-tokens", type=int, default=200)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks/results/bench_tutor_serving.json")
    args = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from openai import OpenAI
    from rich.console import Console
    from rich.progress import track
    from rich.table import Table

    from rag.store import StoreLocation, close_clients
    from rag.tutor.eval.harness import load_questions
    from rag.tutor.pipeline import TutorPipeline
    from serving.tutor_local import LocalTutorStack
    from suuupra.settings import get_settings

    console = Console()
    settings = get_settings()
    if "SUUUPRA_DATA_DIR" not in os.environ or not StoreLocation.from_settings(settings).path.exists():
        raise SystemExit("set SUUUPRA_DATA_DIR to a data dir with a search index (e.g. after `suuupra crawl run`)")
    pipe = TutorPipeline(settings)
    labelled = [q for q in load_questions() if q.kind == "answer"]
    # Latency of answers, not of refusals: keep the questions the tutor answers with citations.
    questions = [q for q in labelled if _answers(pipe, q, args.max_tokens)]
    schedule = [questions[i % len(questions)] for i in range(args.warmup + args.requests)]
    console.print(
        f"index: {StoreLocation.from_settings(settings).path}; {len(questions)} of {len(labelled)} labelled "
        "answerable questions are answered with citations; cycled"
    )
    d_total: list[float] = []
    s_ttft: list[float] = []
    s_total: list[float] = []
    answered = {"direct": 0, "served": 0}
    close_clients()  # the Serve replica opens the store; our reader re-opens on demand
    with LocalTutorStack() as stack:
        client = OpenAI(base_url=stack.tutor_url, api_key="bench", max_retries=0, timeout=120)
        for i, q in enumerate(track(schedule, description="direct / served, interleaved")):
            t0 = time.perf_counter()
            ans = asyncio.run(pipe.answer([{"role": "user", "content": q.question}], mode=q.mode,
                                          max_tokens=args.max_tokens))
            direct_s = time.perf_counter() - t0
            ttft, total, text, cites = _stream_tutor(client, q.question, q.mode, args.max_tokens)
            if i < args.warmup:
                continue
            d_total.append(direct_s)
            s_ttft.append(ttft)
            s_total.append(total)
            answered["direct"] += ans.refusal_kind is None and bool(ans.citations)
            answered["served"] += bool(text) and bool(cites)
    load = os.getloadavg()
    # The work was done: every measured request was a cited answer, on both paths.
    assert answered["direct"] == args.requests, f"direct: {answered['direct']}/{args.requests} cited answers"
    assert answered["served"] == args.requests, f"served: {answered['served']}/{args.requests} cited answers"

    def row(xs: list[float]) -> dict[str, float]:
        return {"p50_s": _pct(xs, 0.5), "p99_s": _pct(xs, 0.99), "mean_s": statistics.fmean(xs)}

    result = {
        "requests_per_path": args.requests,
        "warmup": args.warmup,
        "max_tokens": args.max_tokens,
        "index": str(StoreLocation.from_settings(settings).path),
        "composer": settings.tutor_composer,
        "direct_answer": row(d_total),
        "served_ttft": row(s_ttft),
        "served_total": row(s_total),
        "ratios": {
            "served_total_vs_direct_p50": _pct(s_total, 0.5) / _pct(d_total, 0.5),
            "served_total_vs_direct_p99": _pct(s_total, 0.99) / _pct(d_total, 0.99),
        },
        "answered": answered,
        "questions": [q.id for q in questions],
        "load_avg": load,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    table = Table(title=f"tutor latency, {args.requests} requests per path, load average {load[0]:.2f}")
    for col in ("path", "p50 s", "p99 s", "ratio p50 / p99 vs direct"):
        table.add_column(col, justify="left" if col == "path" else "right")
    table.add_row("direct TutorPipeline.answer (baseline)", f"{_pct(d_total, .5):.3f}", f"{_pct(d_total, .99):.3f}", "1.00")
    table.add_row("served /tutor/v1, first token", f"{_pct(s_ttft, .5):.3f}", f"{_pct(s_ttft, .99):.3f}", "")
    table.add_row(
        "served /tutor/v1, whole answer",
        f"{_pct(s_total, .5):.3f}",
        f"{_pct(s_total, .99):.3f}",
        f"{result['ratios']['served_total_vs_direct_p50']:.2f} / {result['ratios']['served_total_vs_direct_p99']:.2f}",
    )
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
