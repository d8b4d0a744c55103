"""Evidence units: the sentences, code examples and definitions a grounded answer is built from.

The tiny local model invents code and drifts off its sources, so answer mode
quotes the docs instead of paraphrasing them. Each packed source chunk is split
into units that can be quoted whole (a code example is never split: half a
doctest teaches nothing), every unit is scored against the question, and the
best few are selected for :mod:`rag.tutor.compose`.

Chunk text comes from :mod:`rag.extract` / :mod:`rag.chunking`: paragraphs are
separated by blank lines, prose paragraphs are whitespace-normalised single
lines, and ``<pre>`` blocks (doctests, scripts) are the only multi-line
paragraphs. Fenced ``` blocks (course material written in Markdown) are
recognised as code too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from rag.tutor.ranking import PriorName, source_prior
from rag.tutor.text import content_terms, split_sentences, support
from rag.tutor.types import Source

UnitKind = Literal["sentence", "code", "definition"]
EmbedFn = Callable[[Sequence[str]], np.ndarray]

# Blend of dense and lexical relevance: MiniLM ranks paraphrases well, the lexical
# share keeps exact API names (``pop``, ``range``) from losing to vaguer prose.
DENSE_WEIGHT = 0.7
LEXICAL_WEIGHT = 0.3
MIN_SENTENCE_TERMS = 3  # fragments like "For example:" are not evidence
MIN_SUPPORT_SCORE = 0.25  # supporting sentences below this add noise, not help
MAX_SUPPORT = 2

_FENCE = re.compile(r"```[\w+-]*[ \t]*\n(.*?)\n?```", re.DOTALL)
_PROSE_END = re.compile(r"[.!?:][\"')\]]*$")
_SIGNATURE = re.compile(r"^[A-Za-z_][\w.]*\s*(\(.*\))?\s*$")  # ``list.pop([i])``, not ``0.333``


@dataclass(slots=True, frozen=True)
class Unit:
    """One quotable piece of a source: ``text`` is verbatim from ``Source.text``."""

    kind: UnitKind
    text: str
    source_n: int
    position: int
    term: str = ""  # definition-list term (e.g. ``list.append(x)``) for kind "definition"
    score: float = 0.0


@dataclass(slots=True)
class Evidence:
    """What the answer is composed from: one answer unit, an optional code example, support."""

    answer: Unit | None = None
    code: Unit | None = None
    support: list[Unit] = field(default_factory=list)


def _starts_code(line: str) -> bool:
    return line.lstrip().startswith((">>>", "$ ")) or line.startswith(("    ", "\t"))


def _is_prose(line: str) -> bool:
    return len(line.split()) >= 5 and bool(_PROSE_END.search(line.strip()))


def _paragraphs(text: str) -> list[tuple[bool, str]]:
    """(is_code, text) paragraphs of unfenced chunk text.

    :func:`rag.tutor.safety.sanitize_source` drops blank lines, so a packed chunk has one
    paragraph per line; a code run starts at a ``>>>`` or indented line and continues
    through ``...`` lines and doctest output until a line that reads as prose.
    """
    out: list[tuple[bool, str]] = []
    in_code = False
    for line in text.split("\n"):
        if not line.strip():
            in_code = in_code and bool(out) and out[-1][0]
            if in_code:
                out[-1] = (True, out[-1][1] + "\n")
            continue
        continuation = line.lstrip().startswith("...") or not _is_prose(line)
        if _starts_code(line) or (in_code and continuation):
            if in_code:
                out[-1] = (True, out[-1][1] + "\n" + line)
            else:
                out.append((True, line))
            in_code = True
        else:
            out.append((False, line.strip()))
            in_code = False
    return [(c, t.rstrip("\n") if c else t) for c, t in out]


_ADMONITIONS = frozenset({"note", "warning", "see also", "tip", "important", "caution", "hint", "attention"})
# A sentence a learner can read on its own starts or ends like one; "open for writing,
# truncating the file first" (a table cell whose key was split off) does neither.
_SENTENCE_START = re.compile(r"^[A-Z0-9`\"'“(]")


def _reads_as_sentence(text: str) -> bool:
    return bool(_SENTENCE_START.match(text) or _PROSE_END.search(text.strip()))


def _is_term(para: str) -> bool:
    """A definition-list term: a short signature line without sentence punctuation."""
    return para.strip().lower() not in _ADMONITIONS and len(para) <= 80 and "\n" not in para and not para.endswith((".", ":", "!", "?")) and bool(
        _SIGNATURE.match(para)
    )


def split_units(source: Source) -> list[Unit]:
    """Split one source chunk into sentence, code and definition units (in text order)."""
    units: list[Unit] = []
    paras: list[tuple[bool, str]] = []
    last = 0
    for m in _FENCE.finditer(source.text):
        paras.extend(_paragraphs(source.text[last : m.start()]))
        paras.append((True, m.group(1).strip("\n")))
        last = m.end()
    paras.extend(_paragraphs(source.text[last:]))
    i = 0
    while i < len(paras):
        code, para = paras[i]
        pos = len(units)
        if code:
            units.append(Unit("code", para, source.n, pos))
        elif _is_term(para) and i + 1 < len(paras) and not paras[i + 1][0]:
            units.append(Unit("definition", paras[i + 1][1], source.n, pos, term=para))
            i += 1
        else:
            for sent in split_sentences(para):
                if len(content_terms(sent)) >= MIN_SENTENCE_TERMS and _reads_as_sentence(sent):
                    units.append(Unit("sentence", sent, source.n, len(units)))
        i += 1
    return units


# Sentences that point elsewhere or date a change: true, but no answer to a learner's question.
_NOT_AN_ANSWER = re.compile(
    r"^(changed in version|new in version|deprecated since version|see also|see |for (more|details)|"
    r"more (details|information))",
    re.IGNORECASE,
)


def _is_lead_in(unit: Unit) -> bool:
    """A lead-in ("... the following loop:"), a cross-reference or a version note."""
    return unit.kind != "code" and (unit.text.rstrip().endswith(":") or bool(_NOT_AN_ANSWER.match(unit.text)))


def _is_example(unit: Unit) -> bool:
    """A code unit that is an example, not a grammar production (``case_block ::= ...``)."""
    return unit.kind == "code" and "::=" not in unit.text


def _default_embed(texts: Sequence[str]) -> np.ndarray:
    from rag.embedding import embed

    return embed(texts)


class EmbeddingCache:
    """Embeddings memoised for one request.

    The faithfulness check compares each answer sentence with every unit of its cited
    chunk, units that :func:`select_evidence` has just embedded; without the cache each
    request embedded them again per sentence.
    """

    def __init__(self, embed_fn: EmbedFn | None = None) -> None:
        self._embed = embed_fn or _default_embed
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._embed(missing), strict=True))
        return np.stack([self._vectors[t] for t in texts])


def score_units(question: str, units: Sequence[Unit], embed_fn: EmbedFn | None = None) -> list[Unit]:
    """Units with ``score`` = dense cosine (same MiniLM as the index) blended with lexical overlap.

    Without the embedding model (``ModelNotFoundError``) the lexical score alone is used,
    so answers degrade rather than fail.
    """
    if not units:
        return []
    texts = [f"{u.term} {u.text}".strip() for u in units]
    dense: list[float] = [0.0] * len(units)
    w_dense, w_lex = DENSE_WEIGHT, LEXICAL_WEIGHT
    try:
        vecs = (embed_fn or _default_embed)([question, *texts])
        q = vecs[0]
        dense = [float(np.dot(q, v)) for v in vecs[1:]]
    except Exception:  # noqa: BLE001 - model missing or failing: lexical scoring still answers
        w_dense, w_lex = 0.0, 1.0
    return [
        replace(u, score=w_dense * d + w_lex * support(question, t))
        for u, t, d in zip(units, texts, dense, strict=True)
    ]


def select_evidence(
    question: str,
    sources: Sequence[Source],
    *,
    embed_fn: EmbedFn | None = None,
    max_support: int = MAX_SUPPORT,
    prior: PriorName = "learner",
) -> Evidence:
    """Pick the best answer unit, the best code example near it and up to ``max_support`` more.

    The code example comes from the answer's own chunk, or else from another chunk of the
    same section (a long section's example often lands in the next chunk).
    """
    by_n = {s.n: s for s in sources}
    scored = score_units(question, [u for s in sources for u in split_units(s)], embed_fn)
    # The learner prior applies to units too: a changelog or C API sentence must not be the answer.
    units = [replace(u, score=u.score * source_prior(by_n[u.source_n], prior)) for u in scored]
    # A lead-in promises content it does not carry, a cross-reference or version note answers
    # nothing: never evidence.
    prose = sorted((u for u in units if u.kind != "code" and not _is_lead_in(u)), key=lambda u: -u.score)
    if not prose:
        return Evidence()
    answer = prose[0]
    home = by_n[answer.source_n]
    codes = sorted((u for u in units if _is_example(u)), key=lambda u: -u.score)
    code = next((c for c in codes if c.source_n == answer.source_n), None)
    if code is None:
        code = next(
            (c for c in codes if by_n[c.source_n].url == home.url and by_n[c.source_n].section == home.section),
            None,
        )
    seen = {answer.text.lower()}
    extra: list[Unit] = []
    for u in prose[1:]:  # lead-ins, cross-references and version notes are already out
        if len(extra) >= max_support or u.score < MIN_SUPPORT_SCORE:
            break
        if u.text.lower() in seen:
            continue
        seen.add(u.text.lower())
        extra.append(u)
    return Evidence(answer=answer, code=code, support=extra)
