"""Learner-facing tutor conversations, mounted under ``/api/v1``.

Routes (all authenticated, owner-only):

* ``POST /tutor/conversations`` — start one (optionally scoped to a course the
  learner is enrolled in; the tutor then only retrieves that course's material).
* ``GET  /tutor/conversations`` — the caller's conversations, newest first.
* ``GET  /tutor/conversations/{id}`` — one conversation with its messages.
* ``POST /tutor/conversations/{id}/messages`` — ask; the question and the answer
  (with citations) are persisted and two ``tutor.message`` events are emitted
  through the transactional outbox.

The answer comes from the tutor's OpenAI-compatible endpoint
(``settings.tutor_base_url``), with the stored history so follow-ups resolve.
Per-user rate limit: ``settings.tutor_rate_limit_per_minute`` (token bucket on the
app's limiter backend: memory locally, Redis in prod). Logs carry ids and sizes,
never message text.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func, select

from apps_api.db import utcnow
from apps_api.deps import CurrentUser, ReadSessionDep, SessionDep, StateDep, is_enrolled
from apps_api.errors import ApiError
from apps_api.outbox import emit
from apps_api.tutor_models import TutorConversation, TutorMessageRow

log = logging.getLogger("suuupra.tutor.api")
router = APIRouter(prefix="/tutor", tags=["tutor"])
HISTORY_MESSAGES = 8


class ConversationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    course_id: Annotated[str, StringConstraints(max_length=40)] = ""
    mode: Literal["answer", "hint"] = "answer"
    title: Annotated[str, StringConstraints(max_length=200)] = ""


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
    mode: Literal["answer", "hint"] | None = None


class CitationOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    index: int
    url: str
    title: str
    section: str
    chunk_id: str


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    seq: int
    role: str
    content: str
    citations: list[CitationOut] = Field(default_factory=list)
    refusal_kind: str | None = None
    latency_ms: float | None = None
    created_at: datetime


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    course_id: str
    mode: str
    title: str
    created_at: datetime
    updated_at: datetime


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]


def _tutor_url(settings: Any) -> str:
    return settings.tutor_base_url or f"http://{settings.serve_host}:{settings.serve_port}/tutor/v1"


def _limiter(state: Any) -> Any:
    lim = state.extras.get("tutor_limiter")
    if lim is None:
        from apps_api.ratelimit import MemoryRateLimiter, RedisRateLimiter
        from suuupra.settings import Profile

        if state.settings.profile is Profile.prod:
            lim = RedisRateLimiter(state.settings.redis_url, "suuupra:tutor:rl:")
        else:
            lim = MemoryRateLimiter()
        state.extras["tutor_limiter"] = lim
    return lim


def _client(state: Any) -> Any:
    client = state.extras.get("tutor_client")
    if client is None:
        from openai import AsyncOpenAI

        s = state.settings
        client = AsyncOpenAI(
            base_url=_tutor_url(s), api_key="apps-api", timeout=s.tutor_request_timeout_s, max_retries=0
        )
        state.extras["tutor_client"] = client
    return client


def _own(session: Any, conversation_id: str, user_id: str) -> TutorConversation:
    conv = session.get(TutorConversation, conversation_id)
    if conv is None or conv.user_id != user_id:
        raise ApiError(404, f"conversation {conversation_id} not found")
    return conv


@router.post("/conversations", status_code=201, response_model=ConversationOut)
def create_conversation(body: ConversationIn, user: CurrentUser, session: SessionDep) -> TutorConversation:
    if body.course_id and not user.is_admin and not is_enrolled(session, user.id, body.course_id):
        raise ApiError(403, f"you are not enrolled in course {body.course_id}; enroll to ask its tutor")
    conv = TutorConversation(user_id=user.id, course_id=body.course_id, mode=body.mode, title=body.title)
    session.add(conv)
    session.commit()
    session.refresh(conv)
    return conv


@router.get("/conversations", response_model=list[ConversationOut])
def list_conversations(user: CurrentUser, session: ReadSessionDep) -> list[TutorConversation]:
    stmt = (
        select(TutorConversation)
        .where(TutorConversation.user_id == user.id)
        .order_by(TutorConversation.updated_at.desc())
        .limit(100)
    )
    return list(session.scalars(stmt))


def _messages(session: Any, conversation_id: str) -> list[TutorMessageRow]:
    stmt = select(TutorMessageRow).where(TutorMessageRow.conversation_id == conversation_id)
    return list(session.scalars(stmt.order_by(TutorMessageRow.seq)))


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(conversation_id: str, user: CurrentUser, session: ReadSessionDep) -> dict[str, Any]:
    conv = _own(session, conversation_id, user.id)
    out = ConversationOut.model_validate(conv).model_dump()
    out["messages"] = [MessageOut.model_validate(m) for m in _messages(session, conv.id)]
    return out


@router.post("/conversations/{conversation_id}/messages", status_code=201, response_model=MessageOut)
async def post_message(
    conversation_id: str, body: MessageIn, user: CurrentUser, state: StateDep
) -> MessageOut:
    import openai

    settings = state.settings
    if len(body.content) > settings.tutor_max_input_chars:
        raise ApiError(413, f"the question is {len(body.content)} characters; the limit is "
                       f"{settings.tutor_max_input_chars}")
    per_min = settings.tutor_rate_limit_per_minute
    wait = _limiter(state).take(f"tutor:{user.id}", per_min / 60.0, per_min)
    if wait > 0:
        raise ApiError(429, f"tutor rate limit of {per_min} questions per minute reached; retry in "
                       f"{wait:.0f}s", headers={"Retry-After": str(max(1, round(wait)))})

    # Read the conversation and its history (short read transaction; no DB held during the LLM call).
    with state.db.session() as session:
        conv = _own(session, conversation_id, user.id)
        course_id, mode = conv.course_id, body.mode or conv.mode
        history = [(m.role, m.content) for m in _messages(session, conv.id)][-HISTORY_MESSAGES:]

    messages = [{"role": r, "content": c} for r, c in history] + [{"role": "user", "content": body.content}]
    extra: dict[str, Any] = {"mode": mode}
    if course_id:
        extra["course_id"] = course_id
    t0 = time.perf_counter()
    try:
        resp = await _client(state).chat.completions.create(
            model="suuupra-tutor", messages=messages, extra_body=extra
        )
    except openai.APIStatusError as exc:
        if exc.status_code in (413, 422):
            raise ApiError(exc.status_code, f"the tutor rejected the question: {exc.message}") from None
        raise ApiError(503, "the tutor is unavailable; try again shortly") from None
    except openai.APIError:
        raise ApiError(503, "the tutor is unavailable; try again shortly") from None
    latency_ms = (time.perf_counter() - t0) * 1000
    msg = resp.choices[0].message
    extra_out = msg.model_extra or {}
    citations = extra_out.get("citations") or []
    for c in citations:
        c.pop("text", None)  # the passage itself stays in the index, not in every stored message

    with state.db.session() as session:
        conv = _own(session, conversation_id, user.id)
        seq = session.scalar(
            select(func.coalesce(func.max(TutorMessageRow.seq), 0)).where(
                TutorMessageRow.conversation_id == conv.id
            )
        )
        q = TutorMessageRow(conversation_id=conv.id, seq=seq + 1, role="user", content=body.content, citations=[])
        a = TutorMessageRow(
            conversation_id=conv.id,
            seq=seq + 2,
            role="assistant",
            content=msg.content or "",
            citations=citations,
            refusal_kind=extra_out.get("refusal_kind"),
            latency_ms=latency_ms,
        )
        if not conv.title:
            conv.title = body.content[:80]
        conv.updated_at = utcnow()
        session.add_all([q, a])
        common = {"learner_id": user.id, "conversation_id": conv.id, "course_id": course_id}
        emit(session, "tutor.message", role="user", chars=len(body.content), **common)
        emit(
            session,
            "tutor.message",
            role="assistant",
            chars=len(a.content),
            citations=len(citations),
            latency_ms=round(latency_ms, 1),
            **common,
        )
        session.commit()
        session.refresh(a)
        out = MessageOut.model_validate(a)
        log.info("tutor.message conv=%s q_chars=%d a_chars=%d citations=%d ms=%.0f",
                 conv.id, len(body.content), len(a.content), len(citations), latency_ms)
        return out
