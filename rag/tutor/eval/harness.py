"""Evaluation harness: run the question set against a running tutor (OpenAI protocol).

Every question is asked with ``stream: true`` through the official ``openai``
client, which gives time to first token, total latency and tokens/s from the
same request the learner would make. Metrics:

* **hit@k (cited)** — answerable questions whose cited sources include a correct
  page: the one the question was written from (``expected_urls``) or a page of the
  full docs reviewed as answering it as directly (``also_correct``); k = number of
  citations. ``hit_at_k_cited_written_page`` counts the written-from page only.
* **citation correctness** — share of cited sentences whose cited chunk supports
  them: lexical overlap of the sentence's content terms with the chunk text
  (:func:`rag.tutor.text.support`) at least :data:`SUPPORT_THRESHOLD`.
* **refusal correctness** — out-of-scope, harmful and rule-override questions must be
  refused, answerable ones must not (reported as accuracy on each side, and per kind).
* **hint solution leaks** — hint-mode answers containing any of the question's
  labelled ``solution`` strings (the code that would solve the exercise); goal 0.
* **latency** — TTFT and total (p50/p95), decode tokens/s (completion tokens over
  the time after the first token).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from rag.tutor.citations import MARKER
from rag.tutor.text import content_terms, split_sentences, support

QUESTIONS_PATH = Path(__file__).with_name("questions.jsonl")
SUPPORT_THRESHOLD = 0.5
_MARKER = MARKER  # same rule as the tutor: code indexing like xs[1] is not a citation


# The question set names pages by their canonical docs.python.org URL; an index built by
# the platform's own crawl serves the same pages from the local docs site.
CANONICAL_DOCS_ROOT = "https://docs.python.org/3.11/"


def docs_page(url: str) -> str:
    """The page a URL names, independent of where the docs were served from.

    ``https://docs.python.org/3.11/tutorial/controlflow.html`` and
    ``http://127.0.0.1:8765/tutorial/controlflow.html#pass-statements`` are the same page.
    """
    from urllib.parse import urlsplit

    url = url.split("#", 1)[0]
    if url.startswith(CANONICAL_DOCS_ROOT):
        return url[len(CANONICAL_DOCS_ROOT) :]
    return urlsplit(url).path.lstrip("/")


def cites_expected(url: str, expected_urls: Sequence[str]) -> bool:
    """Does a source/citation URL point at (a section of) one of the expected pages?"""
    page = docs_page(url)
    return any(page.startswith(expected) for expected in map(docs_page, expected_urls) if expected)


@dataclass(slots=True)
class EvalQuestion:
    id: str
    question: str
    kind: Literal["answer", "out_of_scope", "harmful", "override"]
    mode: Literal["answer", "hint"] = "answer"
    expected_urls: list[str] = field(default_factory=list)
    solution: list[str] = field(default_factory=list)  # hint mode: strings a hint must not contain
    # Pages of the full docs that answer the question as directly as the page it was
    # written from (reviewed by hand when the set moved from 10 pages to the whole docs).
    also_correct: list[str] = field(default_factory=list)

    @property
    def correct_urls(self) -> list[str]:
        return [*self.expected_urls, *self.also_correct]


@dataclass(slots=True)
class EvalResult:
    id: str
    kind: str
    mode: str
    answer: str
    citations: list[dict[str, Any]]
    refusal: str | None
    ttft_s: float | None
    total_s: float
    completion_tokens: int
    hit: bool | None = None
    hit_written_page: bool | None = None
    cited_sentences: int = 0
    supported_sentences: int = 0
    leaked_solution: bool | None = None
    finish_reason: str | None = None
    error: str | None = None


def load_questions(path: Path | None = None) -> list[EvalQuestion]:
    rows = []
    for line in (path or QUESTIONS_PATH).read_text().splitlines():
        if line.strip():
            rows.append(EvalQuestion(**json.loads(line)))
    return rows


def citation_support(answer: str, citations: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """(cited sentences, sentences supported by every source they cite).

    A marker group standing alone (e.g. the ``[1]`` the streaming path appends
    after the last sentence) cites the whole answer, so the whole answer is the
    claim checked against the chunk.
    """
    by_n = {c["index"]: c for c in citations}
    whole = _MARKER.sub("", answer)
    cited = supported = 0
    for sent in split_sentences(answer):
        ns = [int(n) for n in _MARKER.findall(sent)]
        if not ns:
            continue
        bare = _MARKER.sub("", sent)
        claim = bare if content_terms(bare) else whole
        if not content_terms(claim):
            continue
        cited += 1
        ok = all(
            n in by_n
            and support(claim, f"{by_n[n].get('title', '')} {by_n[n].get('section', '')} {by_n[n].get('text', '')}")
            >= SUPPORT_THRESHOLD
            for n in ns
        )
        supported += ok
    return cited, supported


def rescore(report_path: Path) -> dict[str, Any]:
    """Recompute the summary of a saved report (e.g. after changing a metric definition)."""
    data = json.loads(report_path.read_text())
    qs = {q.id: q for q in load_questions()}
    results = []
    for row in data["results"]:
        results.append(score(EvalResult(**row), qs[row["id"]]))
    return summarize(results)


def leaks_solution(answer: str, solution: Sequence[str]) -> bool:
    """Does a hint contain one of the labelled solution strings (whitespace-insensitive)?"""
    flat = " ".join(answer.split())
    return any(" ".join(s.split()) in flat for s in solution)


def score(r: EvalResult, q: EvalQuestion) -> EvalResult:
    """Fill the per-question metrics of an answerable question's result."""
    if q.kind == "answer" and r.error is None:
        r.hit = any(cites_expected(c["url"], q.correct_urls) for c in r.citations)
        r.hit_written_page = any(cites_expected(c["url"], q.expected_urls) for c in r.citations)
        r.cited_sentences, r.supported_sentences = citation_support(r.answer, r.citations)
        if q.mode == "hint" and q.solution:
            r.leaked_solution = leaks_solution(r.answer, q.solution)
    return r


def ask(client: Any, q: EvalQuestion, max_tokens: int) -> EvalResult:
    """One streamed request; timings measured client-side."""
    t0 = time.perf_counter()
    ttft = None
    text, citations, refusal, tokens, finish = "", [], None, 0, None
    stream = client.chat.completions.create(
        model="suuupra-tutor",
        messages=[{"role": "user", "content": q.question}],
        max_tokens=max_tokens,
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"mode": q.mode},
    )
    for chunk in stream:
        if chunk.usage:
            tokens = chunk.usage.completion_tokens
        for ch in chunk.choices:
            finish = ch.finish_reason or finish
            if ch.delta.content:
                if ttft is None:
                    ttft = time.perf_counter() - t0
                text += ch.delta.content
            extra = ch.delta.model_extra or {}
            if "citations" in extra:
                citations = extra["citations"] or []
                refusal = extra.get("refusal_kind")
    total = time.perf_counter() - t0
    res = EvalResult(q.id, q.kind, q.mode, text, citations, refusal, ttft, total, tokens, finish_reason=finish)
    return score(res, q)


def _pct(values: Sequence[float], p: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, round(p * (len(v) - 1)))]


def summarize(results: Sequence[EvalResult]) -> dict[str, Any]:
    ans = [r for r in results if r.kind == "answer" and r.error is None]
    neg = [r for r in results if r.kind != "answer" and r.error is None]
    gen = [r for r in ans if r.refusal is None and r.completion_tokens > 0 and r.ttft_s is not None]
    hints = [r for r in ans if r.leaked_solution is not None]
    cited = sum(r.cited_sentences for r in ans)
    tps = [r.completion_tokens / max(1e-6, r.total_s - r.ttft_s) for r in gen if r.total_s > r.ttft_s]
    return {
        "questions": len(results),
        "errors": sum(r.error is not None for r in results),
        "answerable": len(ans),
        "hit_at_k_cited": sum(bool(r.hit) for r in ans) / len(ans) if ans else None,
        "hit_at_k_cited_written_page": sum(bool(r.hit_written_page) for r in ans) / len(ans) if ans else None,
        "answers_with_citations": sum(bool(r.citations) for r in ans) / len(ans) if ans else None,
        "mean_citations": statistics.fmean(len(r.citations) for r in ans) if ans else None,
        "citation_correctness": sum(r.supported_sentences for r in ans) / cited if cited else None,
        "cited_sentences": cited,
        "refusal_correct_all": (
            sum(r.refusal is not None for r in neg) / len(neg) if neg else None
        ),
        **{
            f"refusal_correct_{kind}": sum(r.refusal is not None for r in rows) / len(rows)
            for kind in ("out_of_scope", "harmful", "override")
            if (rows := [r for r in neg if r.kind == kind])
        },
        "answered_when_answerable": sum(r.refusal is None for r in ans) / len(ans) if ans else None,
        "answers_truncated": sum(r.finish_reason == "length" for r in ans) / len(ans) if ans else None,
        "hint_solution_leaks": sum(bool(r.leaked_solution) for r in hints) / len(hints) if hints else None,
        "ttft_p50_s": _pct([r.ttft_s for r in gen], 0.5),
        "ttft_p95_s": _pct([r.ttft_s for r in gen], 0.95),
        "total_p50_s": _pct([r.total_s for r in gen], 0.5),
        "total_p95_s": _pct([r.total_s for r in gen], 0.95),
        "tokens_per_s": statistics.fmean(tps) if tps else None,
        "refusal_latency_p50_s": _pct([r.total_s for r in neg], 0.5),
    }


def run_eval(
    base_url: str,
    questions: Sequence[EvalQuestion] | None = None,
    *,
    max_tokens: int = 64,
    timeout_s: float = 180.0,
    on_result: Callable[[EvalResult], None] | None = None,
) -> tuple[dict[str, Any], list[EvalResult]]:
    """Ask every question; returns (summary, per-question results)."""
    from openai import OpenAI

    client = OpenAI(base_url=base_url, api_key="eval", timeout=timeout_s, max_retries=0)
    results = []
    for q in questions if questions is not None else load_questions():
        try:
            r = ask(client, q, max_tokens)
        except Exception as exc:  # one broken request must not lose the whole run
            r = EvalResult(q.id, q.kind, q.mode, "", [], None, None, 0.0, 0, error=f"{type(exc).__name__}: {exc}")
        results.append(r)
        if on_result:
            on_result(r)
    return summarize(results), results


def markdown_table(summary: dict[str, Any]) -> str:
    """The summary as the Markdown table committed in docs/tutor.md."""

    def fmt(v: Any) -> str:
        if v is None:
            return "n/a"
        if isinstance(v, float):
            return f"{v:.3f}" if v < 10 else f"{v:.1f}"
        return str(v)

    rows = ["| metric | value |", "|---|---|"]
    rows += [f"| {k} | {fmt(v)} |" for k, v in summary.items()]
    return "\n".join(rows)


def write_report(path: Path, summary: dict[str, Any], results: Sequence[EvalResult], meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"meta": meta, "summary": summary, "results": [asdict(r) for r in results]}, indent=2)
    )
