"""Tiny text helpers shared by rewriting, safety and citation checks.

Deliberately lexical and dependency-free: they run on every request, must be
deterministic (tests and the eval depend on it) and must not load a model.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(\[*-])|\n{1,}")

STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from into onto about as is are was were be
    been being do does did doing have has had having i me my we our you your he she it its they them their this
    that these those there here what which who whom whose when where why how can could should would will shall may
    might must not no nor so than too very just also only own same such both each few more most other some any all
    again further once up down out off over under between through during before after above below while because
    until against am s t don now get got use using used way ways want need know tell show give explain example
    examples please thanks thank help make does mean means work works python""".split()
)


def words(text: str) -> list[str]:
    """Lower-cased identifier-like words."""
    return [w.lower() for w in _WORD.findall(text)]


def normalize(word: str) -> str:
    """Crude plural folding so ``lists``/``list`` and ``classes``/``class`` meet."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("sses"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def content_terms(text: str) -> list[str]:
    """Ordered, de-duplicated, normalised non-stopword terms."""
    seen: dict[str, None] = {}
    for w in words(text):
        if w in STOPWORDS or len(w) < 2:
            continue
        seen.setdefault(normalize(w), None)
    return list(seen)


def term_set(text: str) -> set[str]:
    return {normalize(w) for w in words(text)}


def split_sentences(text: str) -> list[str]:
    """Sentences (or lines), keeping their punctuation; empty pieces dropped."""
    return [s for s in (p.strip() for p in _SENTENCE.split(text)) if s]


def support(sentence: str, source_text: str) -> float:
    """Share of the sentence's content terms that occur in the source (0..1)."""
    terms = [t for t in content_terms(sentence) if not t.isdigit()]
    if not terms:
        return 0.0
    src = term_set(source_text)
    return sum(1 for t in terms if t in src) / len(terms)


def approx_tokens(text: str) -> int:
    """Conservative token estimate (BPE averages ~4 chars/token on English and code).

    The tutor does not hold the model's tokenizer (it talks to the LLM over HTTP),
    so the context budget is enforced with this over-estimate.
    """
    return max(1, (len(text) * 10 + 34) // 35)
