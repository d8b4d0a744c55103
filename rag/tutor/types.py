"""Records that flow through the tutor pipeline."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rag.tutor.evidence import EmbeddingCache, Evidence

Mode = Literal["answer", "hint"]
RefusalKind = Literal["harmful", "off_topic", "override", "empty"]


@dataclass(slots=True, frozen=True)
class Source:
    """A retrieved chunk as shown to the model: ``n`` is the number it cites as ``[n]``."""

    n: int
    url: str
    title: str
    section: str
    chunk_id: str
    text: str
    score: float = 0.0
    source: str = ""
    course_id: str = ""

    def citation(self) -> dict[str, Any]:
        """Machine-readable citation (the ``citations`` extension field of a message).

        ``text`` is the exact passage the model was shown, so clients can quote it and
        the eval harness can check that it supports the citing sentence.
        """
        d = asdict(self)
        d["index"] = d.pop("n")
        return d


@dataclass(slots=True)
class PreparedTurn:
    """Everything decided before generation: query, sources, prompt, or a refusal."""

    question: str
    query: str
    mode: Mode
    sources: list[Source] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    refusal: str | None = None
    refusal_kind: RefusalKind | None = None
    injections_removed: int = 0
    retrieval_ms: float = 0.0
    prepare_ms: float = 0.0
    evidence: Evidence | None = None  # evidence composer: selected in prepare, composed later
    embed_cache: EmbeddingCache | None = field(default=None, repr=False)


@dataclass(slots=True)
class TutorAnswer:
    """A finished answer: text with validated ``[n]`` markers and the matching citations."""

    content: str
    citations: list[dict[str, Any]]
    mode: Mode
    refusal_kind: RefusalKind | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    citations_attached: bool = False  # True when markers were added deterministically
    query: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
