"""BM25 as Qdrant sparse vectors.

Qdrant's ``Modifier.IDF`` computes the IDF part of BM25 server-side from the live
collection, so documents only carry the saturated term-frequency part and queries
carry a weight of 1 per term. That keeps BM25 correct under incremental upserts
(no global statistics to rebuild) and works identically in local and server mode.
The length normalisation uses a fixed average length: chunks are length-bounded
by the chunker, so the true average barely moves and a constant avoids a global pass.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter

K1 = 1.2
B = 0.75
AVG_DOC_LEN = 90.0  # terms per chunk after stop-word removal (~200 word-pieces)

_TOKEN_RE = re.compile(r"[a-z0-9_]+")
STOPWORDS = frozenset(
    """a an and are as at be but by for from has have how i if in into is it its of on or that the
    their then there these they this to was were what when where which while who why will with
    you your do does can we our not no so than too very s t just about""".split()
)


def _stem(word: str) -> str:
    """A deliberately tiny plural/verb-form stemmer: enough for 'files'~'file', predictable on code."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-case word/identifier tokens; ``os.path.join`` -> ``os path join``; stop words dropped."""
    return [_stem(t) for t in _TOKEN_RE.findall(text.lower()) if t not in STOPWORDS]


def term_index(term: str) -> int:
    """Stable 31-bit term id (crc32): identical across processes, unlike ``hash()``."""
    return zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF


def _to_sparse(weights: dict[int, float]) -> tuple[list[int], list[float]]:
    items = sorted(weights.items())
    return [i for i, _ in items], [w for _, w in items]


def doc_vector(text: str, boost_text: str = "") -> tuple[list[int], list[float]]:
    """Saturated BM25 term frequencies; ``boost_text`` (titles) counts once more per term."""
    counts = Counter(tokenize(text))
    for t in set(tokenize(boost_text)):
        counts[t] += 1
    dl = sum(counts.values()) or 1
    norm = K1 * (1 - B + B * dl / AVG_DOC_LEN)
    weights: dict[int, float] = {}
    for term, tf in counts.items():
        idx = term_index(term)
        weights[idx] = weights.get(idx, 0.0) + tf * (K1 + 1) / (tf + norm)
    return _to_sparse(weights)


def query_vector(text: str) -> tuple[list[int], list[float]]:
    """One unit weight per distinct query term (IDF is applied by Qdrant)."""
    return _to_sparse({term_index(t): 1.0 for t in set(tokenize(text))})
