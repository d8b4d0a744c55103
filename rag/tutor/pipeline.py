"""The tutor pipeline: rewrite -> retrieve -> prior -> gate -> pack -> prompt -> generate -> cite.

By default (``settings.tutor_composer == "evidence"``) both modes are
evidence-first: the answer quotes the packed sources (:mod:`rag.tutor.evidence`,
:mod:`rag.tutor.compose`, checked by :mod:`rag.tutor.faithfulness`) and a hint is
a masked quote plus a guiding question (:mod:`rag.tutor.hint`), instead of calling
the LLM, which invented code, cited changelogs and handed out solutions in hint
mode. ``tutor_composer="llm"`` asks the generator instead (measured in docs/tutor.md).

:meth:`TutorPipeline.prepare` does everything up to the prompt (synchronous:
search is CPU-bound); :meth:`TutorPipeline.complete` / :meth:`TutorPipeline.stream`
call the LLM over the OpenAI protocol at ``settings.llm_base_url`` — the local
SmolLM2 Serve deployment or vLLM in prod, the code path is the same.

Logging never includes message text (learner PII): only sizes, counts and timings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rag.tutor.citations import (
    HintCodeFilter,
    StreamMarkerFilter,
    citations_in,
    process_citations,
    strip_hint_code,
    trailing_markers,
)
from rag.tutor.compose import compose_answer, stream_pieces, strip_code_blocks
from rag.tutor.evidence import EmbeddingCache, EmbedFn, Evidence, select_evidence
from rag.tutor.faithfulness import check_answer
from rag.tutor.hint import compose_hint, guiding_question, hint_candidates, hint_sentence
from rag.tutor.packing import pack_sources
from rag.tutor.prompts import build_messages
from rag.tutor.ranking import rerank_hits
from rag.tutor.retriever import Retriever, default_retriever
from rag.tutor.rewrite import rewrite_query
from rag.tutor.safety import (
    REFUSAL_EMPTY,
    REFUSAL_HARMFUL,
    REFUSAL_OFF_TOPIC,
    REFUSAL_OVERRIDE,
    check_input,
    coverage,
    is_harmful,
    is_override,
)
from rag.tutor.text import approx_tokens
from rag.tutor.types import Mode, PreparedTurn, TutorAnswer

if TYPE_CHECKING:
    from suuupra.settings import Settings

log = logging.getLogger("suuupra.tutor")

MIN_COVERAGE = 0.6
# Best evidence unit's relevance (0.7 x MiniLM cosine + 0.3 x lexical, times the source
# prior) below which the question is refused as not covered. Fitted on the labelled set
# over the full docs index (docs/tutor.md): out-of-scope questions' best scores reach
# 0.331, answerable ones start at 0.518 (but for one the faithfulness check refuses
# anyway); 0.42 is the middle of that gap.
MIN_EVIDENCE_SCORE = 0.42
MAX_QUERY_CHARS = 500  # rag.search rejects queries over 512 characters
# Candidates retrieved per packed source: the learner prior reorders them before packing
# (4 measured better than 2 on the labelled set: the teaching page is more often among them).
RETRIEVE_K_FACTOR = 4


@dataclass(slots=True)
class StreamEvent:
    """One streaming step: a text delta, or the final event with citations and usage."""

    delta: str = ""
    final: TutorAnswer | None = None


class TutorPipeline:
    """Grounded answers with ``[n]`` citations from the platform's search index.

    ``settings`` gives the limits, the LLM endpoint and (unless a ``retriever`` is
    passed) the search index to retrieve from.
    """

    def __init__(
        self,
        settings: Settings,
        retriever: Retriever | None = None,
        *,
        llm_base_url: str | None = None,
        llm_model: str | None = None,
    ) -> None:
        from rag.llm import served_model_name
        from rag.store import StoreLocation

        self.settings = settings
        self.retriever = retriever or default_retriever(StoreLocation.from_settings(settings))
        self.llm_base_url = llm_base_url or settings.llm_base_url
        self.llm_model = llm_model or served_model_name(settings)
        self._async_client: Any = None

    # ------------------------------------------------------------ preparation
    def prepare(
        self,
        messages: Sequence[dict[str, str]],
        *,
        mode: Mode = "answer",
        course_id: str | None = None,
    ) -> PreparedTurn:
        """Validate limits, rewrite, retrieve (course-scoped), gate, pack and build the prompt.

        Raises :class:`rag.tutor.safety.InputTooLargeError` on oversize input.
        """
        t0 = time.perf_counter()
        s = self.settings
        turns = [(m["role"], m.get("content") or "") for m in messages if m["role"] in ("user", "assistant")]
        user_texts = [t for r, t in turns if r == "user"]
        check_input(user_texts, [t for _, t in turns], s.tutor_max_input_chars)
        question = user_texts[-1].strip() if user_texts else ""
        if not question:
            return PreparedTurn(question="", query="", mode=mode, refusal=REFUSAL_EMPTY, refusal_kind="empty")
        if is_harmful(question):
            return PreparedTurn(
                question=question, query=question, mode=mode, refusal=REFUSAL_HARMFUL, refusal_kind="harmful"
            )
        if is_override(question):
            return PreparedTurn(
                question=question, query=question, mode=mode, refusal=REFUSAL_OVERRIDE, refusal_kind="override"
            )
        query = rewrite_query(user_texts)[:MAX_QUERY_CHARS]
        filters = {"course_id": course_id} if course_id else None
        t_r = time.perf_counter()
        found = self.retriever(query, k=s.tutor_top_k * RETRIEVE_K_FACTOR, filters=filters)
        hits = rerank_hits(list(found), s.tutor_source_prior)
        retrieval_ms = (time.perf_counter() - t_r) * 1000
        # No single chunk may take more than half the budget: the model sees 2+ views.
        sources, removed = pack_sources(
            hits, s.tutor_context_tokens, max_sources=s.tutor_top_k, per_source_tokens=s.tutor_context_tokens // 2
        )
        cov = coverage(query, [f"{x.title} {x.section} {x.text}" for x in sources])
        turn = PreparedTurn(
            question=question,
            query=query,
            mode=mode,
            sources=sources,
            injections_removed=removed,
            retrieval_ms=retrieval_ms,
        )
        if self._uses_evidence and sources:
            # Evidence is selected here, so the refusal is decided before anything is sent.
            turn.embed_cache = EmbeddingCache()
            turn.evidence = select_evidence(question, sources, embed_fn=turn.embed_cache, prior=s.tutor_source_prior)
        # The evidence composer's gate is the best unit's relevance; the LLM composer's is
        # the lexical coverage of the question's terms.
        best = turn.evidence.answer.score if turn.evidence and turn.evidence.answer else 0.0
        covered = best >= MIN_EVIDENCE_SCORE if self._uses_evidence else cov >= MIN_COVERAGE
        if not sources or not covered:
            turn.refusal, turn.refusal_kind = REFUSAL_OFF_TOPIC, "off_topic"
            turn.sources, turn.evidence = [], None
        else:
            history = turns[:-1] if turns and turns[-1][0] == "user" else turns
            turn.messages = build_messages(question, sources, mode, history)
        turn.prepare_ms = (time.perf_counter() - t0) * 1000
        log.info(
            "tutor.prepare mode=%s q_chars=%d turns=%d hits=%d sources=%d coverage=%.2f injections=%d "
            "best_evidence=%.2f refusal=%s retrieval_ms=%.1f",
            mode,
            len(question),
            len(turns),
            len(hits),
            len(turn.sources),
            cov,
            removed,
            best,
            turn.refusal_kind,
            retrieval_ms,
        )
        return turn

    # ------------------------------------------------------------ generation
    def _client(self) -> Any:
        if self._async_client is None:
            from openai import AsyncOpenAI

            self._async_client = AsyncOpenAI(
                base_url=self.llm_base_url,
                api_key=self.settings.llm_api_key.get_secret_value(),
                timeout=self.settings.tutor_request_timeout_s,
                max_retries=0,
            )
        return self._async_client

    def _max_tokens(self, requested: int | None) -> int:
        hard = self.settings.tutor_max_output_tokens
        return max(1, min(requested or hard, hard))

    @staticmethod
    def refusal_answer(turn: PreparedTurn) -> TutorAnswer:
        return TutorAnswer(
            content=turn.refusal or "",
            citations=[],
            mode=turn.mode,
            refusal_kind=turn.refusal_kind,
            query=turn.query,
            timings_ms={"prepare": turn.prepare_ms, "retrieval": turn.retrieval_ms},
        )

    def evidence_answer(self, turn: PreparedTurn, *, max_tokens: int | None = None) -> TutorAnswer:
        """The evidence-first answer (no LLM call): quoted, cited, faithfulness-checked.

        Answer mode quotes the best evidence and its code example; hint mode gives a
        masked, cited hint and a guiding question (:mod:`rag.tutor.hint`). Synchronous
        (embedding is CPU-bound); :meth:`complete` / :meth:`stream` run it in a thread.
        """
        t0 = time.perf_counter()
        budget = self._max_tokens(max_tokens)
        embed = turn.embed_cache or EmbeddingCache()
        evidence = turn.evidence or select_evidence(
            turn.question, turn.sources, embed_fn=embed, prior=self.settings.tutor_source_prior
        )
        dropped = 0
        if turn.mode == "hint":
            text = self._hint_text(evidence, turn, budget, embed)
        else:
            checked = check_answer(compose_answer(evidence, max_tokens=budget), turn.sources, embed_fn=embed)
            text, dropped = checked.text, len(checked.dropped)
        if not text:  # every sentence failed the faithfulness check: nothing supported to say
            turn.refusal, turn.refusal_kind, turn.sources = REFUSAL_OFF_TOPIC, "off_topic", []
            return self.refusal_answer(turn)
        cites = citations_in(strip_code_blocks(text), turn.sources)
        gen_ms = (time.perf_counter() - t0) * 1000
        log.info(
            "tutor.evidence mode=%s out_chars=%d citations=%d code=%s dropped=%d gen_ms=%.0f",
            turn.mode,
            len(text),
            len(cites),
            evidence.code is not None,
            dropped,
            gen_ms,
        )
        return TutorAnswer(
            content=text,
            citations=cites,
            mode=turn.mode,
            completion_tokens=approx_tokens(text),  # estimate: no model generated it
            finish_reason="stop",
            query=turn.query,
            timings_ms={"prepare": turn.prepare_ms, "retrieval": turn.retrieval_ms, "generate": gen_ms},
        )

    @staticmethod
    def _hint_text(evidence: Evidence, turn: PreparedTurn, budget: int, embed: EmbedFn) -> str:
        """The first candidate whose masked hint sentence still passes the faithfulness check."""
        by_n = {s.n: s for s in turn.sources}
        for unit in hint_candidates(evidence):
            sentence = check_answer(hint_sentence(unit), turn.sources, embed_fn=embed).text
            if sentence:
                return compose_hint(sentence, guiding_question(unit, by_n[unit.source_n].section), max_tokens=budget)
        return ""

    @property
    def _uses_evidence(self) -> bool:
        return self.settings.tutor_composer == "evidence"

    async def complete(self, turn: PreparedTurn, *, max_tokens: int | None = None) -> TutorAnswer:
        """Non-streaming answer with validated citations (answer mode: the evidence answer)."""
        if turn.refusal:
            return self.refusal_answer(turn)
        if self._uses_evidence:
            import asyncio

            return await asyncio.to_thread(self.evidence_answer, turn, max_tokens=max_tokens)
        t0 = time.perf_counter()
        resp = await self._client().chat.completions.create(
            model=self.llm_model,
            messages=turn.messages,
            max_tokens=self._max_tokens(max_tokens),
            temperature=0.0,
        )
        raw = resp.choices[0].message.content or ""
        if turn.mode == "hint":
            raw = strip_hint_code(raw)
        text, cites, attached = process_citations(raw, turn.sources)
        usage = resp.usage
        gen_ms = (time.perf_counter() - t0) * 1000
        log.info("tutor.complete out_chars=%d citations=%d attached=%s gen_ms=%.0f", len(text), len(cites), attached, gen_ms)
        return TutorAnswer(
            content=text,
            citations=cites,
            mode=turn.mode,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            finish_reason=resp.choices[0].finish_reason or "stop",
            citations_attached=attached,
            query=turn.query,
            timings_ms={"prepare": turn.prepare_ms, "retrieval": turn.retrieval_ms, "generate": gen_ms},
        )

    async def stream(self, turn: PreparedTurn, *, max_tokens: int | None = None) -> AsyncIterator[StreamEvent]:
        """Stream text deltas (invalid markers filtered), then one final event with citations."""
        if turn.refusal:
            yield StreamEvent(delta=turn.refusal)
            yield StreamEvent(final=self.refusal_answer(turn))
            return
        if self._uses_evidence:
            import asyncio

            answer = await asyncio.to_thread(self.evidence_answer, turn, max_tokens=max_tokens)
            for piece in stream_pieces(answer.content):
                yield StreamEvent(delta=piece)
            yield StreamEvent(final=answer)
            return
        t0 = time.perf_counter()
        filt = StreamMarkerFilter(len(turn.sources))
        hint = HintCodeFilter() if turn.mode == "hint" else None
        usage: Any = None
        finish = "stop"
        stream = await self._client().chat.completions.create(
            model=self.llm_model,
            messages=turn.messages,
            max_tokens=self._max_tokens(max_tokens),
            temperature=0.0,
            stream=True,
            stream_options={"include_usage": True},
        )
        async for chunk in stream:
            if chunk.usage is not None:
                usage = chunk.usage
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            if choice.finish_reason:
                finish = choice.finish_reason
            piece = choice.delta.content or "" if choice.delta else ""
            if hint is not None:
                piece = hint.feed(piece)
            piece = filt.feed(piece)
            if piece:
                yield StreamEvent(delta=piece)
        if hint is not None:
            filt.feed(hint.flush())
        tail = filt.flush()  # already counted in filt.emitted
        extra = trailing_markers(filt.emitted, turn.sources) if filt.kept_markers == 0 else ""
        if tail or extra:
            yield StreamEvent(delta=tail + extra)
        attached = bool(extra)
        full = filt.emitted + extra
        yield StreamEvent(
            final=TutorAnswer(
                content=full,
                citations=citations_in(full, turn.sources),
                mode=turn.mode,
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
                finish_reason=finish,
                citations_attached=attached,
                query=turn.query,
                timings_ms={
                    "prepare": turn.prepare_ms,
                    "retrieval": turn.retrieval_ms,
                    "generate": (time.perf_counter() - t0) * 1000,
                },
            )
        )

    async def answer(
        self,
        messages: Sequence[dict[str, str]],
        *,
        mode: Mode = "answer",
        course_id: str | None = None,
        max_tokens: int | None = None,
    ) -> TutorAnswer:
        """prepare + complete in one call (retrieval runs in a worker thread)."""
        import asyncio

        turn = await asyncio.to_thread(self.prepare, messages, mode=mode, course_id=course_id)
        return await self.complete(turn, max_tokens=max_tokens)
