"""Ray Serve deployment of the local LLM behind the OpenAI chat-completions protocol.

Routes (under the application's route prefix, ``/llm`` by default, so
``settings.llm_base_url`` = ``http://host:port/llm/v1``):

* ``GET  /v1/models``
* ``POST /v1/chat/completions`` (JSON, or server-sent events with ``stream: true``)

This is the ``local`` twin of vLLM's OpenAI server: same paths, same bodies, so the
tutor cannot tell which one it is talking to. The engine is :mod:`rag.llm.smollm2`;
this module only puts it behind Serve and HTTP.
"""

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import Field
from ray import serve
from ray.serve import Application

from rag.llm.protocol import (
    SSE_DONE,
    ChatCompletionRequest,
    chunk_event,
    completion_response,
    models_response,
    new_completion_id,
)
from serving.openai_errors import validation_problem
from serving.options import ReplicaArgs

log = logging.getLogger(__name__)

llm_api = FastAPI(title="Suuupra local LLM (OpenAI protocol)", docs_url=None, redoc_url=None)
llm_api.add_exception_handler(RequestValidationError, validation_problem)


class LocalLLMArgs(ReplicaArgs):
    """Arguments of :func:`build_local_llm_app` (also accepted from a Serve config file)."""

    num_cpus: float = Field(default=1.0, ge=0)
    num_threads: int | None = Field(default=None, ge=1, description="torch threads; settings default")
    max_output_tokens: int | None = Field(default=None, ge=1, description="hard cap; settings default")
    request_timeout_s: float | None = Field(default=None, gt=0)
    max_ongoing_requests: int = Field(default=8, ge=1)


@serve.deployment(name="LLMServer", max_ongoing_requests=8, ray_actor_options={"num_cpus": 1})
@serve.ingress(llm_api)
class LLMServer:
    """SmolLM2-135M-Instruct on CPU, one replica, generation serialised inside the replica."""

    def __init__(self, args: dict[str, Any] | None = None) -> None:
        from rag.llm.smollm2 import LocalChatModel
        from suuupra.settings import load_settings

        a = LocalLLMArgs.model_validate(args or {})
        settings = load_settings()  # the replica is an edge: its own SUUUPRA_* environment
        self.max_output_tokens = a.max_output_tokens or settings.tutor_max_output_tokens
        self.timeout_s = a.request_timeout_s or settings.tutor_request_timeout_s
        self.model = LocalChatModel(num_threads=a.num_threads or settings.llm_num_threads)

    @llm_api.get("/v1/models")
    async def models(self) -> dict[str, Any]:
        return models_response([self.model.model_id], owned_by="huggingface")

    @llm_api.get("/healthz")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok", "model": self.model.model_id}

    @llm_api.post("/v1/chat/completions", response_model=None)
    async def chat_completions(self, req: ChatCompletionRequest) -> JSONResponse | StreamingResponse:
        messages = [{"role": m.role if m.role != "developer" else "system", "content": m.text()} for m in req.messages]
        max_tokens = req.token_limit(default=min(128, self.max_output_tokens), hard_max=self.max_output_tokens)
        stop = [req.stop] if isinstance(req.stop, str) else req.stop
        kwargs = {
            "max_tokens": max_tokens,
            "temperature": req.temperature or 0.0,
            "top_p": req.top_p,
            "stop": stop,
            "timeout_s": self.timeout_s,
        }
        model_name = req.model or self.model.model_id
        if req.stream:
            include_usage = bool(req.stream_options and req.stream_options.include_usage)
            return StreamingResponse(
                self._sse(messages, kwargs, model_name, include_usage), media_type="text/event-stream"
            )
        gen = await asyncio.to_thread(self.model.generate, messages, **kwargs)
        return JSONResponse(
            completion_response(
                completion_id=new_completion_id(),
                model=model_name,
                content=gen.text,
                prompt_tokens=gen.prompt_tokens,
                completion_tokens=gen.completion_tokens,
                finish_reason=gen.finish_reason,
            )
        )

    def _sse(
        self, messages: list[dict[str, str]], kwargs: dict[str, Any], model: str, include_usage: bool
    ) -> Iterator[str]:
        # A sync generator: Starlette iterates it in a worker thread, so the
        # blocking token stream never stalls the replica's event loop.
        cid, created = new_completion_id(), int(time.time())
        yield chunk_event(completion_id=cid, model=model, created=created, delta={"role": "assistant", "content": ""})
        stats: dict[str, Any] = {}
        for piece in self.model.stream(messages, stats=stats, **kwargs):
            yield chunk_event(completion_id=cid, model=model, created=created, delta={"content": piece})
        yield chunk_event(
            completion_id=cid, model=model, created=created, finish_reason=stats.get("finish_reason", "stop")
        )
        if include_usage:
            yield chunk_event(
                completion_id=cid, model=model, created=created, usage=stats.get("usage"), empty_choices=True
            )
        yield SSE_DONE


def build_local_llm_app(args: dict[str, Any] | LocalLLMArgs | None = None) -> Application:
    """Typed Serve app builder for the local SmolLM2 backend.

    ``serve run serving.llm.local_app:build_local_llm_app``; the profile switch is
    :func:`serving.llm.build_llm_app`.
    """
    a = args if isinstance(args, LocalLLMArgs) else LocalLLMArgs.model_validate(args or {})
    return LLMServer.options(
        ray_actor_options=a.actor_options(), max_ongoing_requests=a.max_ongoing_requests
    ).bind(a.model_dump())
