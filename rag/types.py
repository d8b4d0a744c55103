"""Plain data records shared by the crawler, the indexer and search.

They are dataclasses (not pydantic models) so ``import rag`` stays cheap and the
tutor can build/consume them without pulling in any ML library.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class Section:
    """One heading-delimited part of a page; ``anchor`` makes deep links possible."""

    heading: str
    text: str
    anchor: str | None = None
    level: int = 1


@dataclass(slots=True)
class Document:
    """A page ready to be chunked and indexed.

    Either ``sections`` (structure-aware chunking, deep links per section) or plain
    ``text`` may be given; ``text`` alone becomes a single section titled ``title``.
    """

    url: str
    title: str
    text: str = ""
    sections: list[Section] = field(default_factory=list)
    source: str = "docs"
    course_id: str = ""
    content_type: str = "docs"
    tags: list[str] = field(default_factory=list)
    doc_id: str = ""

    def __post_init__(self) -> None:
        if not self.url:
            raise ValueError("Document.url must not be empty")
        if not self.doc_id:
            self.doc_id = hashlib.sha1(self.url.encode("utf-8")).hexdigest()[:16]
        if not self.sections and self.text:
            self.sections = [Section(heading=self.title, text=self.text, anchor=None, level=1)]

    def content_hash(self) -> str:
        """Hash of everything that affects the index, so unchanged pages are skipped on re-index."""
        h = hashlib.sha256()
        for part in (
            self.url,
            self.title,
            self.source,
            self.course_id,
            self.content_type,
            ",".join(self.tags),
        ):
            h.update(part.encode("utf-8") + b"\x00")
        for s in self.sections:
            h.update(f"{s.heading}\x00{s.anchor}\x00{s.level}\x00{s.text}\x01".encode())
        return h.hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        """Build from a plain dict (JSON row, other teams' fixtures); unknown keys are an error."""
        data = dict(data)
        sections = [s if isinstance(s, Section) else Section(**s) for s in data.pop("sections", None) or []]
        allowed = {"url", "title", "text", "source", "course_id", "content_type", "tags", "doc_id"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(
                f"unknown Document fields {sorted(unknown)}; allowed: {sorted(allowed | {'sections'})}"
            )
        if "tags" in data and data["tags"] is not None:
            data["tags"] = list(data["tags"])
        return cls(sections=sections, **{k: v for k, v in data.items() if v is not None})


@dataclass(slots=True)
class Chunk:
    """A retrievable passage: what gets embedded and what search returns."""

    chunk_id: str
    doc_id: str
    url: str
    title: str
    section: str
    text: str
    source: str
    course_id: str
    content_type: str
    tags: list[str]
    position: int
    doc_hash: str = ""

    def embed_text(self) -> str:
        """Text fed to the embedding model: page and section titles give a passage its context."""
        head = (
            self.title if not self.section or self.section == self.title else f"{self.title} — {self.section}"
        )
        return f"{head}\n{self.text}"

    def payload(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True, frozen=True)
class SearchHit:
    """One search result (a chunk) with its fused relevance score (higher is better)."""

    url: str
    title: str
    section: str
    text: str
    score: float
    chunk_id: str
    source: str
    course_id: str
    content_type: str = "docs"
    tags: tuple[str, ...] = ()
    doc_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tags"] = list(self.tags)
        return d
