"""Compose an evidence-first answer: quote the docs, cite every sentence, never cut mid-unit.

Answer mode no longer trusts the small model to write prose or code: the answer is
assembled from :class:`rag.tutor.evidence.Evidence` — a direct answer sentence,
the docs' own code example in a ```python block, then one or two supporting
sentences. Every sentence carries ``[n]`` (1-based index into ``turn.sources``,
the numbering :func:`rag.tutor.citations.citations_in` uses). The output budget
is spent on whole units, so an answer never ends inside a sentence or an open
code fence (the failure mode of a token-capped LLM answer).
"""

from __future__ import annotations

import re

from rag.tutor.evidence import Evidence, Unit
from rag.tutor.text import approx_tokens, split_sentences

FENCE_OPEN = "```python\n"
FENCE_CLOSE = "\n```"
_CODE_BLOCK = re.compile(r"```[\w+-]*[ \t]*\n.*?```", re.DOTALL)


def cite(sentence: str, n: int) -> str:
    """``sentence`` with ``[n]`` before its final punctuation: ``... the loop [1].``"""
    sentence = sentence.strip()
    m = re.search(r"([.!?:;]+[\"')\]]*)$", sentence)
    if m:
        return f"{sentence[: m.start()].rstrip()} [{n}]{m.group(1)}"
    return f"{sentence} [{n}]"


def _prose(unit: Unit) -> str:
    """A prose unit as cited text: every sentence gets the unit's marker."""
    cited = " ".join(cite(s, unit.source_n) for s in split_sentences(unit.text))
    if unit.kind == "definition" and unit.term:
        return f"`{unit.term}`: {cited}"
    return cited


def code_block(unit: Unit) -> str:
    """The code example verbatim in a fenced block, followed by its marker on its own line."""
    return f"{FENCE_OPEN}{unit.text}{FENCE_CLOSE}\n[{unit.source_n}]"


def compose_answer(evidence: Evidence, *, max_tokens: int) -> str:
    """Answer text within ``max_tokens`` (estimated), dropping whole units that do not fit.

    The direct answer is always kept (it is the answer); the code example and the
    supporting sentences are added in that order while they fit.
    """
    if evidence.answer is None:
        return ""
    parts = [_prose(evidence.answer)]
    used = approx_tokens(parts[0])
    optional = ([code_block(evidence.code)] if evidence.code else []) + [_prose(u) for u in evidence.support]
    for part in optional:
        cost = approx_tokens(part) + 1
        if used + cost > max_tokens:
            continue  # a smaller later unit may still fit
        parts.append(part)
        used += cost
    return "\n\n".join(parts)


def strip_code_blocks(text: str) -> str:
    """``text`` without fenced blocks: code like ``x = [1]`` is not a citation."""
    return _CODE_BLOCK.sub(" ", text)


def stream_pieces(text: str, size: int = 24) -> list[str]:
    """Split ``text`` into streaming deltas at whitespace, so no ``[n]`` marker is split."""
    pieces: list[str] = []
    cur = ""
    for tok in re.split(r"(\s+)", text):
        cur += tok
        if len(cur) >= size and tok.isspace():
            pieces.append(cur)
            cur = ""
    if cur:
        pieces.append(cur)
    return pieces
