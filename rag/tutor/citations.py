"""Citation handling: make ``[n]`` markers trustworthy whatever the model emits.

Small models cite badly: they invent ``[7]`` with three sources, write
``[1, 2]`` or ``[Source 2]``, cite a source that says nothing about the sentence,
or cite nothing at all. The rules, applied after generation:

1. Normalise ``[1, 2]`` / ``[Source 1]`` / ``(source 1)`` to ``[1][2]`` / ``[1]``.
2. Drop markers that do not name a provided source.
3. Repair: a marker whose source has (almost) no lexical support for its sentence
   is re-pointed to the best-supported source when that one clearly supports it.
4. If no valid marker is left, attach them deterministically: each sentence gets
   the source with the highest lexical support, when that support reaches
   :data:`ATTACH_MIN_SUPPORT`. If no single sentence reaches it (rambling
   answers), the source that best supports the answer as a whole is cited once at
   the end, provided it reaches :data:`FALLBACK_MIN_SUPPORT`. An answer that says
   the material does not cover the question gets no citations.

The ``citations`` list then holds exactly the sources referenced in the text, in
order of first appearance, so text markers and machine-readable citations agree.
Streaming cannot rewrite text already sent, so :class:`StreamMarkerFilter` drops
invalid markers on the fly and, when none survived, a trailing ``[n]`` group is
appended at the end of the stream.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rag.tutor.prompts import NOT_COVERED
from rag.tutor.text import content_terms, split_sentences, support
from rag.tutor.types import Source

# Not preceded by an identifier or ")": ``xs[1]`` / ``f()[0]`` in code is indexing, not a citation.
MARKER = re.compile(r"(?<![\w)])\[(\d{1,3})\]")
_MULTI = re.compile(r"\[(\s*\d{1,3}\s*(?:[,;]\s*\d{1,3}\s*)+)\]")
_NAMED = re.compile(r"[\[(]\s*(?:source|src|ref|reference)s?\s*#?\s*(\d{1,3})\s*[\])]", re.IGNORECASE)
_NOT_COVERED = re.compile(
    r"(does not|doesn't|do not|don't) (cover|answer|mention|contain)|not covered|no information|"
    r"(cannot|can't|couldn't|could not) find",
    re.IGNORECASE,
)
ATTACH_MIN_SUPPORT = 0.34
FALLBACK_MIN_SUPPORT = 0.2
REPAIR_MAX_SUPPORT = 0.1
REPAIR_MIN_GAIN = 0.3


def normalize_markers(text: str) -> str:
    text = _MULTI.sub(lambda m: "".join(f"[{x.strip()}]" for x in re.split(r"[,;]", m.group(1))), text)
    return _NAMED.sub(lambda m: f"[{m.group(1)}]", text)


def says_not_covered(text: str) -> bool:
    return NOT_COVERED.lower() in text.lower() or bool(_NOT_COVERED.search(text))


def _best_source(sentence: str, sources: Sequence[Source]) -> tuple[Source | None, float]:
    best, best_s = None, 0.0
    for s in sources:
        sc = support(sentence, f"{s.title} {s.section} {s.text}")
        if sc > best_s:
            best, best_s = s, sc
    return best, best_s


def _place_marker(sentence: str, marker: str) -> str:
    """Put ``marker`` before the sentence's final punctuation: ``... items [1].``"""
    m = re.search(r"([.!?:]+[\"')\]]*)$", sentence)
    if m and not sentence[: m.start()].endswith("]"):
        return f"{sentence[: m.start()].rstrip()} {marker}{m.group(1)}"
    return f"{sentence.rstrip()} {marker}"


def process_citations(text: str, sources: Sequence[Source]) -> tuple[str, list[dict[str, Any]], bool]:
    """Validate/repair/attach markers; returns (text, citations, attached_deterministically)."""
    by_n = {s.n: s for s in sources}
    text = normalize_markers(text)
    text = MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in by_n else "", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    if not sources or not text or says_not_covered(text) and not MARKER.search(text):
        return text, [], False

    attached = False
    if MARKER.search(text):
        # Repair markers that point at a source with no support for their sentence.
        out = []
        for sent in split_sentences(text):
            cited = [int(x) for x in MARKER.findall(sent)]
            bare = MARKER.sub("", sent)
            if cited and len(content_terms(bare)) >= 3:
                best, best_s = _best_source(bare, sources)
                for n in set(cited):
                    own = support(bare, f"{by_n[n].title} {by_n[n].section} {by_n[n].text}")
                    if best and best.n != n and own <= REPAIR_MAX_SUPPORT and best_s - own >= REPAIR_MIN_GAIN:
                        sent = sent.replace(f"[{n}]", f"[{best.n}]")
            out.append(sent)
        text = " ".join(out)
    else:
        out = []
        for sent in split_sentences(text):
            best, best_s = _best_source(sent, sources)
            if best is not None and best_s >= ATTACH_MIN_SUPPORT and len(content_terms(sent)) >= 2:
                sent = _place_marker(sent, f"[{best.n}]")
                attached = True
            out.append(sent)
        text = " ".join(out)
        if not attached:
            fallback = _fallback_marker(text, sources)
            if fallback:
                text = _place_marker(text, fallback)
                attached = True
    # Collapse duplicates like "[1][1]".
    text = re.sub(r"(\[(\d+)\])(\s*\[\2\])+", r"\1", text)
    return text, citations_in(text, sources), attached


def citations_in(text: str, sources: Sequence[Source]) -> list[dict[str, Any]]:
    """Citation records for the markers in ``text``, in order of first appearance."""
    by_n = {s.n: s for s in sources}
    order: list[int] = []
    for m in MARKER.finditer(text):
        n = int(m.group(1))
        if n in by_n and n not in order:
            order.append(n)
    return [by_n[n].citation() for n in order]


def _fallback_marker(text: str, sources: Sequence[Source]) -> str:
    best, best_s = _best_source(text, sources)
    return f"[{best.n}]" if best is not None and best_s >= FALLBACK_MIN_SUPPORT else ""


def trailing_markers(text: str, sources: Sequence[Source]) -> str:
    """Markers to append after a streamed answer that carried none (may be empty)."""
    if not sources or says_not_covered(text):
        return ""
    chosen: list[int] = []
    for sent in split_sentences(text):
        best, best_s = _best_source(sent, sources)
        if best is not None and best_s >= ATTACH_MIN_SUPPORT and best.n not in chosen:
            chosen.append(best.n)
    if not chosen:
        fallback = _fallback_marker(text, sources)
        return f" {fallback}" if fallback else ""
    return " " + "".join(f"[{n}]" for n in chosen)


class StreamMarkerFilter:
    """Streaming twin of rules 1–2: hold back ``[...]`` until it closes, then keep or drop it."""

    MAX_HOLD = 16

    def __init__(self, n_sources: int) -> None:
        self.valid = set(range(1, n_sources + 1))
        self.buf = ""
        self.emitted = ""
        self.kept_markers = 0

    def _resolve(self, chunk: str, prev: str) -> str:
        if prev and (prev[-1].isalnum() or prev[-1] in "_)"):
            return chunk  # code indexing like xs[1]: text, not a citation
        chunk = normalize_markers(chunk)

        def keep(m: re.Match[str]) -> str:
            if int(m.group(1)) in self.valid:
                self.kept_markers += 1
                return m.group(0)
            return ""

        return MARKER.sub(keep, chunk)

    def feed(self, piece: str) -> str:
        self.buf += piece
        out = ""
        while self.buf:
            i = self.buf.find("[")
            if i < 0:
                out += self.buf
                self.buf = ""
                break
            out += self.buf[:i]
            self.buf = self.buf[i:]
            j = self.buf.find("]")
            if j < 0:
                if len(self.buf) > self.MAX_HOLD:  # not a marker after all
                    out += self.buf
                    self.buf = ""
                break
            out += self._resolve(self.buf[: j + 1], (self.emitted + out)[-1:])
            self.buf = self.buf[j + 1 :]
        self.emitted += out
        return out

    def flush(self) -> str:
        out, self.buf = self.buf, ""
        self.emitted += out
        return out


HINT_CODE_NOTE = "\n(I left out the code on purpose: try writing it yourself.)"


class HintCodeFilter:
    """Hint mode guard: drop fenced code blocks so a hint never hands out the full solution.

    The small local model writes code even when told not to; removing ```...```
    blocks (streaming-safe: a fence split across pieces is held back) enforces
    the Socratic mode deterministically.
    """

    FENCE = "```"

    def __init__(self) -> None:
        self.inside = False
        self.buf = ""
        self.dropped = False

    def feed(self, piece: str) -> str:
        self.buf += piece
        out = ""
        while True:
            i = self.buf.find(self.FENCE)
            if i < 0:
                # keep a possible partial fence at the end for the next piece
                keep = len(self.buf) - len(self.buf.rstrip("`"))
                emit, self.buf = self.buf[: len(self.buf) - keep], self.buf[len(self.buf) - keep :]
                if self.inside:
                    self.dropped = self.dropped or bool(emit.strip())
                else:
                    out += emit
                return out
            if not self.inside:
                out += self.buf[:i]
            else:
                self.dropped = True
            self.inside = not self.inside
            self.buf = self.buf[i + len(self.FENCE) :]

    def flush(self) -> str:
        tail, self.buf = ("" if self.inside else self.buf), ""
        if self.inside:
            self.dropped = True
        return tail + (HINT_CODE_NOTE if self.dropped else "")


def strip_hint_code(text: str) -> str:
    """Non-streaming form of :class:`HintCodeFilter`."""
    f = HintCodeFilter()
    return (f.feed(text) + f.flush()).strip()
