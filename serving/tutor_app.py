"""The tutor's Ray Serve deployments: an OpenAI-compatible chat API over the RAG pipeline.

Composable Serve-style:

* :class:`Tutor` — FastAPI ingress; ``POST /v1/chat/completions`` (JSON or SSE with
  ``stream: true``) and ``GET /v1/models``. It receives the LLM's OpenAI base URL in
  its constructor and talks to it with the ``openai`` client, in both profiles.
* :func:`build_tutor_app` — the tutor alone (LLM elsewhere: vLLM in prod, or the
  local LLM app at ``/llm``).
* :func:`build_llm_app` (re-exported from :mod:`serving.llm`) — the LLM for the profile.

Serve config (two applications on one Serve instance)::

    applications:
      - {name: llm,   route_prefix: /llm,   import_path: serving.llm:build_llm_app}
      - {name: tutor, route_prefix: /tutor, import_path: serving.tutor_app:build_tutor_app}

so ``openai.OpenAI(base_url="http://host:8000/tutor/v1")`` talks to the tutor.

Extension fields (OpenAI clients pass them through ``extra_body``): ``mode``
(``"answer"`` | ``"hint"``; the model id ``suuupra-tutor-hint`` also selects hint
mode) and ``course_id`` (scopes retrieval). Each answer message carries
``citations`` (list of ``{index, url, title, section, chunk_id, ...}``) and
``refusal_kind`` (``null`` or ``"harmful"`` / ``"off_topic"`` / ``"empty"``; not the
standard ``refusal`` field, whose meaning is a model-written refusal text); in a
stream they arrive on the last chunk's ``delta``.

Failures are the platform's problem+json with an OpenAI ``error`` object
(:mod:`serving.openai_errors`).
"""

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
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
from serving.llm import build_llm_app
from serving.openai_errors import openai_problem, validation_problem
from serving.options import ReplicaArgs

__all__ = ["MODEL_ANSWER", "MODEL_HINT", "Tutor", "TutorArgs", "build_llm_app", "build_tutor_app"]

log = logging.getLogger("suuupra.tutor.serve")

MODEL_ANSWER = "suuupra-tutor"
MODEL_HINT = "suuupra-tutor-hint"
MAX_BODY_BYTES = 256 * 1024

tutor_api = FastAPI(title="Suuupra AI tutor (OpenAI protocol)", docs_url=None, redoc_url=None)
tutor_api.add_exception_handler(RequestValidationError, validation_problem)


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    return openai_problem(status, detail, title=title)


@tutor_api.middleware("http")
async def _limit_body(request: Request, call_next: Any) -> Any:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
        return _problem(413, "Request too large", f"request body over {MAX_BODY_BYTES} bytes")
    return await call_next(request)


class TutorArgs(ReplicaArgs):
    """Arguments of :func:`build_tutor_app` (typed Serve builder args)."""

    llm_base_url: str | None = Field(default=None, description="OpenAI base URL of the LLM; settings default")
    llm_model: str | None = Field(default=None, description="model name sent to the LLM; settings default")
    num_cpus: float = Field(default=0.5, ge=0)
    max_ongoing_requests: int = Field(default=16, ge=1)


@serve.deployment(name="Tutor", max_ongoing_requests=16, ray_actor_options={"num_cpus": 0.5})
@serve.ingress(tutor_api)
class Tutor:
    """Grounded, cited answers; the LLM is reached over HTTP at ``llm_base_url``."""

    def __init__(self, args: dict[str, Any] | None = None) -> None:
        from rag.tutor.pipeline import TutorPipeline
        from suuupra.settings import load_settings

        a = TutorArgs.model_validate(args or {})
        self.settings = load_settings()  # the replica is an edge: its own SUUUPRA_* environment
        self.pipeline = TutorPipeline(llm_base_url=a.llm_base_url, llm_model=a.llm_model, settings=self.settings)

    @tutor_api.get("/v1/models")
    async def models(self) -> dict[str, Any]:
        return models_response([MODEL_ANSWER, MODEL_HINT])

    @tutor_api.get("/healthz")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok", "llm_base_url": self.pipeline.llm_base_url}

    @tutor_api.post("/v1/chat/completions", response_model=None)
    async def chat_completions(self, req: ChatCompletionRequest) -> JSONResponse | StreamingResponse:
        from rag.retrieval import InvalidQueryError
        from rag.store import SearchUnavailableError
        from rag.tutor.safety import InputTooLargeError

        rid = uuid.uuid4().hex[:12]
        mode = req.mode or ("hint" if req.model == MODEL_HINT else "answer")
        model = req.model or MODEL_ANSWER
        messages = [{"role": m.role, "content": m.text()} for m in req.messages]
        if not any(m["role"] == "user" for m in messages):
            return _problem(422, "Invalid request", "messages must contain at least one user message")
        timeout = self.settings.tutor_request_timeout_s
        try:
            turn = await asyncio.wait_for(
                asyncio.to_thread(self.pipeline.prepare, messages, mode=mode, course_id=req.course_id),
                timeout,
            )
        except InputTooLargeError as exc:
            return _problem(413, "Input too large", str(exc))
        except InvalidQueryError as exc:
            return _problem(422, "Invalid request", str(exc))
        except SearchUnavailableError as exc:
            return _problem(503, "Search unavailable", str(exc))
        except TimeoutError:
            return _problem(504, "Timeout", f"retrieval took longer than {timeout:.0f}s")
        max_tokens = req.max_completion_tokens or req.max_tokens
        if req.stream:
            include_usage = bool(req.stream_options and req.stream_options.include_usage)
            return StreamingResponse(
                self._sse(turn, model, max_tokens, include_usage, rid), media_type="text/event-stream"
            )
        t0 = time.perf_counter()
        try:
            ans = await asyncio.wait_for(self.pipeline.complete(turn, max_tokens=max_tokens), timeout)
        except TimeoutError:
            return _problem(504, "Timeout", f"the answer took longer than {timeout:.0f}s")
        except Exception as exc:  # the LLM endpoint is down or misbehaving
            log.warning("tutor rid=%s llm error: %s", rid, type(exc).__name__)
            return _problem(502, "LLM unavailable", f"the language model endpoint failed ({type(exc).__name__})")
        log.info(
            "tutor rid=%s mode=%s refusal=%s citations=%d tokens=%d ms=%.0f",
            rid,
            mode,
            ans.refusal_kind,
            len(ans.citations),
            ans.completion_tokens,
            (time.perf_counter() - t0) * 1000,
        )
        return JSONResponse(
            completion_response(
                completion_id=new_completion_id(),
                model=model,
                content=ans.content,
                prompt_tokens=ans.prompt_tokens,
                completion_tokens=ans.completion_tokens,
                finish_reason=ans.finish_reason,
                message_extra={"citations": ans.citations, "refusal_kind": ans.refusal_kind},
            )
        )

    async def _sse(
        self, turn: Any, model: str, max_tokens: int | None, include_usage: bool, rid: str
    ) -> AsyncIterator[str]:
        cid, created = new_completion_id(), int(time.time())
        deadline = time.monotonic() + self.settings.tutor_request_timeout_s
        yield chunk_event(completion_id=cid, model=model, created=created, delta={"role": "assistant", "content": ""})
        final = None
        try:
            async for ev in self.pipeline.stream(turn, max_tokens=max_tokens):
                if ev.final is not None:
                    final = ev.final
                elif ev.delta:
                    yield chunk_event(completion_id=cid, model=model, created=created, delta={"content": ev.delta})
                if time.monotonic() > deadline:
                    raise TimeoutError
        except TimeoutError:
            # Headers are already sent: end the stream cleanly with finish_reason "length".
            yield chunk_event(completion_id=cid, model=model, created=created, finish_reason="length")
            yield SSE_DONE
            return
        except Exception as exc:
            log.warning("tutor rid=%s llm stream error: %s", rid, type(exc).__name__)
            yield chunk_event(
                completion_id=cid,
                model=model,
                created=created,
                delta={"content": "\n[The tutor could not finish this answer; please try again.]"},
                finish_reason="stop",
            )
            yield SSE_DONE
            return
        citations = final.citations if final else []
        yield chunk_event(
            completion_id=cid,
            model=model,
            created=created,
            delta={"citations": citations, "refusal_kind": final.refusal_kind if final else None},
            finish_reason=final.finish_reason if final else "stop",
        )
        if include_usage and final is not None:
            usage = {
                "prompt_tokens": final.prompt_tokens,
                "completion_tokens": final.completion_tokens,
                "total_tokens": final.prompt_tokens + final.completion_tokens,
            }
            yield chunk_event(completion_id=cid, model=model, created=created, usage=usage, empty_choices=True)
        yield SSE_DONE


def build_tutor_app(args: dict[str, Any] | TutorArgs | None = None) -> Application:
    """Typed Serve builder for the tutor (``serve run serving.tutor_app:build_tutor_app``)."""
    a = args if isinstance(args, TutorArgs) else TutorArgs.model_validate(args or {})
    return Tutor.options(
        ray_actor_options=a.actor_options(), max_ongoing_requests=a.max_ongoing_requests
    ).bind(a.model_dump())
