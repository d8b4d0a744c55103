"""Context packing: fit the best retrieved chunks into the model's context budget.

Greedy in retrieval order (search already ranks them), skipping duplicates and
truncating the last chunk at a sentence boundary rather than dropping it, so the
top-ranked evidence always survives. Sources are numbered in packing order; that
number is what the model cites as ``[n]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag.tutor.safety import sanitize_source
from rag.tutor.text import approx_tokens, split_sentences
from rag.tutor.types import Source

MIN_USEFUL_TOKENS = 40


def _truncate(text: str, budget_tokens: int) -> str:
    out: list[str] = []
    used = 0
    for sent in split_sentences(text):
        cost = approx_tokens(sent) + 1
        if used + cost > budget_tokens:
            break
        out.append(sent)
        used += cost
    if not out:  # a single huge sentence: hard cut
        return text[: budget_tokens * 3].rstrip() + " ..."
    return " ".join(out)


def pack_sources(
    hits: Sequence[Any], budget_tokens: int, max_sources: int, per_source_tokens: int | None = None
) -> tuple[list[Source], int]:
    """Number and trim hits into :class:`Source` records; returns (sources, injections removed)."""
    per_source_tokens = per_source_tokens or budget_tokens
    sources: list[Source] = []
    seen_ids: set[str] = set()
    seen_text: set[str] = set()
    used = 0
    removed_total = 0
    for hit in hits:
        if len(sources) >= max_sources:
            break
        if hit.chunk_id in seen_ids:
            continue
        text, removed = sanitize_source(hit.text)
        removed_total += removed
        key = " ".join(text.split()).lower()[:300]
        if not text or key in seen_text:
            continue
        header = f"[{len(sources) + 1}] {hit.title} — {hit.section}\n"
        room = min(per_source_tokens, budget_tokens - used - approx_tokens(header))
        if room < MIN_USEFUL_TOKENS:
            break
        if approx_tokens(text) > room:
            text = _truncate(text, room)
        used += approx_tokens(header) + approx_tokens(text)
        seen_ids.add(hit.chunk_id)
        seen_text.add(key)
        sources.append(
            Source(
                n=len(sources) + 1,
                url=hit.url,
                title=hit.title,
                section=hit.section,
                chunk_id=hit.chunk_id,
                text=text,
                score=float(getattr(hit, "score", 0.0)),
                source=getattr(hit, "source", ""),
                course_id=getattr(hit, "course_id", ""),
            )
        )
    return sources, removed_total
