"""Section-aware chunking sized for all-MiniLM-L6-v2.

The model truncates at 256 word-pieces, so a chunk is at most ``max_tokens``
(default 200) word-pieces of body plus the "title — section" header that is
prepended at embedding time. Chunks never cross a section boundary (each keeps a
deep link to its section anchor) and consecutive chunks of a long section share
``overlap_tokens`` of trailing context so a fact split across the border is still
retrievable. Token counts come from the model's own fast tokenizer (Rust
``tokenizers``, no torch), falling back to a word estimate if it is unavailable.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

from rag.types import Chunk, Document

DEFAULT_MAX_TOKENS = 200
DEFAULT_OVERLAP_TOKENS = 32
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(`\"'])")


@functools.cache
def _tokenizer():  # pragma: no cover - trivial loader
    from tokenizers import Tokenizer

    from rag.embedding import model_dir

    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def count_tokens_batch(texts: list[str]) -> list[int]:
    """Word-piece counts (without [CLS]/[SEP]) for many texts at once."""
    if not texts:
        return []
    try:
        tok = _tokenizer()
    except Exception:  # tokenizer missing: a conservative estimate keeps chunks under the limit
        return [int(len(t.split()) * 1.6) + 1 for t in texts]
    return [len(e.ids) - 2 for e in tok.encode_batch(texts)]


def _units(text: str) -> list[str]:
    """Split a section into packable units: paragraphs, then sentences/lines of long ones."""
    units: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if not para:
            continue
        units.append(para)
    return units


def _split_long(unit: str, n_tokens: int, max_tokens: int) -> list[str]:
    """Break an over-long unit into sentences (prose) or lines (code), then hard word windows."""
    parts = [p for p in (unit.split("\n") if "\n" in unit else _SENTENCE_RE.split(unit)) if p.strip()]
    if len(parts) <= 1:
        words = unit.split()
        step = max(1, int(len(words) * max_tokens / max(n_tokens, 1) * 0.9))
        return [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
    return parts


def _flatten(
    units: list[str], max_tokens: int, counter: Callable, depth: int = 0, group: int | None = None
) -> list[tuple[str, int, int | None]]:
    """(unit, tokens, group) triples where every unit fits, splitting over-long ones recursively.

    Pieces of one code block split by lines share a ``group`` so they are re-joined
    with single newlines (code stays code), everything else with blank lines.
    """
    out: list[tuple[str, int, int | None]] = []
    for unit, n in zip(units, counter(units), strict=True):
        if n <= max_tokens:
            out.append((unit, n, group))
            continue
        pieces = _split_long(unit, n, max_tokens)
        if len(pieces) <= 1 or depth >= 3:  # unsplittable run of one token: keep, the model truncates
            out.append((unit, n, group))
        else:
            sub_group = id(unit) if "\n" in unit else group
            out.extend(_flatten(pieces, max_tokens, counter, depth + 1, sub_group))
    return out


def _join(units: list[tuple[str, int, int | None]]) -> str:
    parts: list[str] = []
    prev: int | None = None
    for i, (text, _, group) in enumerate(units):
        if i:
            parts.append("\n" if group is not None and group == prev else "\n\n")
        parts.append(text)
        prev = group
    return "".join(parts)


def _pack(units: list[str], max_tokens: int, overlap_tokens: int, counter: Callable) -> list[str]:
    flat = _flatten(units, max_tokens, counter)
    chunks: list[str] = []
    cur: list[tuple[str, int, int | None]] = []
    size = 0
    for unit, n, group in flat:
        if cur and size + n > max_tokens:
            chunks.append(_join(cur))
            tail: list[tuple[str, int, int | None]] = []
            tail_size = 0
            for item in reversed(cur):  # carry trailing units as overlap
                if tail_size + item[1] > overlap_tokens:
                    break
                tail.insert(0, item)
                tail_size += item[1]
            if tail_size + n > max_tokens:
                tail, tail_size = [], 0
            cur, size = tail, tail_size
        cur.append((unit, n, group))
        size += n
    if cur:
        chunks.append(_join(cur))
    return chunks


def chunk_document(
    doc: Document,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    counter: Callable[[list[str]], list[int]] = count_tokens_batch,
) -> list[Chunk]:
    """Split one document into chunks with stable ids ``<doc_id>:<n>``."""
    if max_tokens < 16:
        raise ValueError("max_tokens must be at least 16")
    if not 0 <= overlap_tokens < max_tokens:
        raise ValueError("overlap_tokens must be >= 0 and smaller than max_tokens")
    doc_hash = doc.content_hash()
    chunks: list[Chunk] = []
    base_url = doc.url.split("#", 1)[0]
    for section in doc.sections:
        units = _units(section.text)
        if not units:
            continue
        url = f"{base_url}#{section.anchor}" if section.anchor else base_url
        for text in _pack(units, max_tokens, overlap_tokens, counter):
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}:{len(chunks)}",
                    doc_id=doc.doc_id,
                    url=url,
                    title=doc.title,
                    section=section.heading or doc.title,
                    text=text,
                    source=doc.source,
                    course_id=doc.course_id,
                    content_type=doc.content_type,
                    tags=list(doc.tags),
                    position=len(chunks),
                    doc_hash=doc_hash,
                )
            )
    return chunks


def chunk_documents(docs: Iterable[Document], **kwargs) -> list[Chunk]:
    out: list[Chunk] = []
    for doc in docs:
        out.extend(chunk_document(doc, **kwargs))
    return out
