"""The subset of the OpenAI chat-completions wire format that we serve.

Shared by the local LLM server and the tutor so both speak exactly the same
protocol as vLLM's OpenAI server (the official ``openai`` client is the test of
compatibility). Unknown request fields are ignored, as OpenAI-compatible servers do,
so clients that send e.g. ``user`` or ``seed`` keep working. Error bodies are the
platform's problem+json with an OpenAI ``error`` object
(``suuupra.problem.problem_body(..., openai_error=True)``).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ChatMessage(BaseModel):
    """One message of a conversation (content as plain text)."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = ""

    def text(self) -> str:
        """Content as text; OpenAI "content parts" lists are flattened to their text parts."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(str(p.get("text", "")) for p in self.content if p.get("type", "text") == "text")


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """A chat-completions request; tutor-specific extension fields are optional."""

    model_config = ConfigDict(extra="ignore")

    model: str = ""
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    stop: str | list[str] | None = None
    # Tutor extensions (sent by the openai client via ``extra_body``).
    mode: Literal["answer", "hint"] | None = None
    course_id: str | None = None

    def token_limit(self, default: int, hard_max: int) -> int:
        """Requested output budget, clamped to the server's hard limit."""
        asked = self.max_completion_tokens or self.max_tokens or default
        return max(1, min(asked, hard_max))


def new_completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def completion_response(
    *,
    completion_id: str,
    model: str,
    content: str,
    prompt_tokens: int,
    completion_tokens: int,
    finish_reason: str = "stop",
    message_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` object; ``message_extra`` holds extension fields."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if message_extra:
        message.update(message_extra)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def chunk_event(
    *,
    completion_id: str,
    model: str,
    created: int,
    delta: dict[str, Any] | None = None,
    finish_reason: str | None = None,
    usage: dict[str, int] | None = None,
    empty_choices: bool = False,
) -> str:
    """One ``chat.completion.chunk`` as a server-sent-event line pair."""
    body: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": []
        if empty_choices
        else [{"index": 0, "delta": delta or {}, "finish_reason": finish_reason, "logprobs": None}],
    }
    if usage is not None:
        body["usage"] = usage
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


SSE_DONE = "data: [DONE]\n\n"


def models_response(model_ids: list[str], owned_by: str = "suuupra") -> dict[str, Any]:
    """``GET /v1/models`` body."""
    now = int(time.time())
    return {
        "object": "list",
        "data": [{"id": m, "object": "model", "created": now, "owned_by": owned_by} for m in model_ids],
    }
