"""Glue between routes and :mod:`apps_api.idempotency`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from apps_api.errors import PROBLEM_MEDIA_TYPE
from apps_api.idempotency import fingerprint, run_idempotent
from apps_api.state import AppState

IdempotencyKey = Annotated[
    str,
    Header(alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
           description="Unique per logical operation; retries reuse it and get the stored response."),
]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "0.0.0.0"


async def idempotent_response(state: AppState, request: Request, user_id: str, key: str, body: Any,
                              fn: Callable[[], tuple[int, Any]]) -> JSONResponse:
    fp = fingerprint(request.method, request.url.path, body)
    status, payload, replayed = await run_in_threadpool(
        run_idempotent, state.db, user_id, key, fp, fn, wait_s=state.config.idempotency_wait_s,
        lock_ttl_s=state.config.idempotency_lock_ttl_s)
    headers = {"Idempotent-Replayed": "true" if replayed else "false"}
    media = PROBLEM_MEDIA_TYPE if status >= 400 else "application/json"
    return JSONResponse(payload, status_code=status, headers=headers, media_type=media)
