"""Retrieval-only tutor evaluation (no LLM): does the pipeline hand the model the right sources?

Runs :meth:`TutorPipeline.prepare` in-process for every question of the set and
reports hit@k of the packed sources (k = ``settings.tutor_top_k``) and the
correctness of the refusal gate. It needs only the search index, so it is cheap
enough for a Dagster asset after every re-index.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rag.tutor.eval.harness import EvalQuestion, cites_expected, load_questions

if TYPE_CHECKING:
    from rag.tutor.pipeline import TutorPipeline


def evaluate_retrieval(pipeline: TutorPipeline, questions: Sequence[EvalQuestion] | None = None) -> dict[str, Any]:
    """Prepare every question with ``pipeline`` (its settings pick the index and ``tutor_top_k``)."""
    qs = list(questions) if questions is not None else load_questions()
    hits, hit1, answered, refused, ms = 0, 0, 0, 0, []
    rows = []
    n_ans = sum(q.kind == "answer" for q in qs)
    for q in qs:
        t0 = time.perf_counter()
        turn = pipeline.prepare([{"role": "user", "content": q.question}], mode=q.mode)
        ms.append((time.perf_counter() - t0) * 1000)
        urls = [s.url for s in turn.sources]
        hit = any(cites_expected(u, q.correct_urls) for u in urls)
        if q.kind == "answer":
            hits += hit
            hit1 += bool(urls) and cites_expected(urls[0], q.correct_urls)
            answered += turn.refusal is None
        else:
            refused += turn.refusal is not None
        rows.append({"id": q.id, "kind": q.kind, "hit": hit, "refusal": turn.refusal_kind, "top": urls[:1]})
    n_neg = len(qs) - n_ans
    ms.sort()
    return {
        "questions": len(qs),
        "hit_at_k": hits / n_ans if n_ans else None,
        "hit_at_1": hit1 / n_ans if n_ans else None,
        "answered_when_answerable": answered / n_ans if n_ans else None,
        "refused_when_out_of_scope": refused / n_neg if n_neg else None,
        "prepare_ms_p50": ms[len(ms) // 2] if ms else None,
        "rows": rows,
    }
