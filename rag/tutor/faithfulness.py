"""Faithfulness guard: every answer sentence must be supported by the chunk it cites.

Run on an answer before it is returned: a sentence whose cited chunk does not
support it is dropped, as is a code block that is not verbatim in a cited source
(invented code is the small model's worst failure for learners). A sentence is
supported when both hold against each source it cites:

* lexical — :func:`rag.tutor.text.support` (share of the sentence's content terms
  found in the chunk) reaches :data:`LEXICAL_MIN`. This is the eval harness's
  ``citation_support`` rule at the same threshold (``SUPPORT_THRESHOLD`` = 0.5),
  so an answer that passes here also counts as supported in the eval;
* dense — cosine similarity (all-MiniLM-L6-v2, as the index) between the sentence
  and its best-matching evidence unit of the chunk reaches :data:`COSINE_MIN`.
  Comparing with the best unit, not the whole chunk, keeps a long chunk from
  diluting a sentence that quotes one line of it.

:data:`COSINE_MIN` = 0.5 is a chosen value, not a fitted one: MiniLM cosine of a
sentence and its own paraphrase is typically 0.7-0.9, of two sentences on the
same docs topic 0.3-0.6, unrelated well under 0.3, so 0.5 keeps quotes and close
paraphrases and rejects on-topic-but-different claims. ``docs/tutor.md`` says how
to fit it offline from the labelled question set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.tutor.citations import MARKER
from rag.tutor.evidence import EmbedFn, split_units
from rag.tutor.text import content_terms, split_sentences, support
from rag.tutor.types import Source

LEXICAL_MIN = 0.5
COSINE_MIN = 0.5
_CODE = re.compile(r"```[\w+-]*[ \t]*\n(.*?)\n?```(?:\s*((?:\[\d{1,3}\])+))?", re.DOTALL)


@dataclass(slots=True)
class CheckResult:
    """The answer with unsupported parts removed, and what was removed (for logs and tests)."""

    text: str
    dropped: list[str] = field(default_factory=list)


def _default_embed(texts: Sequence[str]) -> np.ndarray:
    from rag.embedding import embed

    return embed(texts)


def _source_text(s: Source) -> str:
    return f"{s.title} {s.section} {s.text}"


def best_cosine(sentence: str, source: Source, embed_fn: EmbedFn | None = None) -> float | None:
    """Highest cosine between ``sentence`` and the source's units; None without the model."""
    units = [f"{u.term} {u.text}".strip() for u in split_units(source) if u.kind != "code"] or [source.text]
    try:
        vecs = (embed_fn or _default_embed)([sentence, *units])
    except Exception:  # noqa: BLE001 - no model: the lexical rule alone decides
        return None
    return float(max(np.dot(vecs[0], v) for v in vecs[1:]))


def is_supported(sentence: str, source: Source, embed_fn: EmbedFn | None = None) -> bool:
    """Does ``source`` support ``sentence`` (markers ignored)? Both rules must pass."""
    bare = MARKER.sub("", sentence).strip()
    if support(bare, _source_text(source)) < LEXICAL_MIN:
        return False
    cos = best_cosine(bare, source, embed_fn)
    return cos is None or cos >= COSINE_MIN


def _check_prose(block: str, by_n: dict[int, Source], embed_fn: EmbedFn | None, dropped: list[str]) -> str:
    paras = [p for p in re.split(r"\n\s*\n", block) if p.strip()]
    if len(paras) > 1:
        return "\n\n".join(p for p in (_check_prose(p, by_n, embed_fn, dropped) for p in paras) if p)
    kept: list[str] = []
    for sent in split_sentences(block):
        ns = [int(n) for n in MARKER.findall(sent)]
        if not content_terms(MARKER.sub("", sent)) and ns and all(n in by_n for n in ns):
            kept.append(sent)  # a bare marker group, e.g. the one closing a code block
            continue
        if ns and all(n in by_n and is_supported(sent, by_n[n], embed_fn) for n in ns):
            kept.append(sent)
        else:
            dropped.append(sent)
    return " ".join(kept)


def check_answer(text: str, sources: Sequence[Source], *, embed_fn: EmbedFn | None = None) -> CheckResult:
    """Drop uncited/unsupported sentences and code blocks that are not verbatim in a cited source."""
    by_n = {s.n: s for s in sources}
    dropped: list[str] = []
    out: list[str] = []
    last = 0
    for m in _CODE.finditer(text):
        prose = _check_prose(text[last : m.start()], by_n, embed_fn, dropped)
        if prose:
            out.append(prose)
        code, markers = m.group(1).strip("\n"), m.group(2) or ""
        cited = [by_n[int(n)] for n in MARKER.findall(markers) if int(n) in by_n]
        if code.strip() and any(code in s.text for s in (cited or sources)):
            out.append(m.group(0).strip())
        else:
            dropped.append(m.group(0))
        last = m.end()
    prose = _check_prose(text[last:], by_n, embed_fn, dropped)
    if prose:
        out.append(prose)
    return CheckResult(text="\n\n".join(out), dropped=dropped)
