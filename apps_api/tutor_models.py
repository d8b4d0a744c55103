"""Persisted tutor conversations (tables created by migration ``0800_tutor``).

They belong to the API, not to the tutor engine (``rag.tutor``): stored on the
API's ``Base`` they share its database, sessions and migrations, and the engine
stays free of any web or database layer. Message text is stored (learners see
their history); it is never logged.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

import apps_api.models  # noqa: F401  - registers "users" on the shared metadata for the FKs
from apps_api.db import Base, utcnow


def _id() -> str:
    return f"tconv_{uuid.uuid4().hex[:20]}"


def _mid() -> str:
    return f"tmsg_{uuid.uuid4().hex[:20]}"


class TutorConversation(Base):
    __tablename__ = "tutor_conversations"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=_id)
    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id"), index=True)
    course_id: Mapped[str] = mapped_column(String(40), default="")
    mode: Mapped[str] = mapped_column(String(16), default="answer")
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TutorMessageRow(Base):
    __tablename__ = "tutor_messages"
    __table_args__ = (Index("ix_tutor_messages_conv_seq", "conversation_id", "seq", unique=True),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=_mid)
    conversation_id: Mapped[str] = mapped_column(String(40), ForeignKey("tutor_conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    refusal_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
