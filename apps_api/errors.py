"""RFC 9457 ``application/problem+json`` errors for every failure path.

Handlers turn our :class:`ApiError`, Starlette HTTP errors, request validation
errors and any unexpected exception into a problem document with a clear
``detail`` and the request id, so clients never see an HTML traceback.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from apps_api.logs import request_id_var
from suuupra.errors import ServiceUnavailable
from suuupra.problem import PROBLEM_MEDIA_TYPE
from suuupra.problem import problem_body as kernel_problem_body

log = logging.getLogger("apps_api")


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = None


class ApiError(Exception):
    """A client-facing failure with an HTTP status and a human-readable detail."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None,
                 type_: str = "about:blank") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers
        self.type = type_


def problem_body(status: int, detail: str, *, instance: str | None = None,
                 errors: list[dict[str, Any]] | None = None, type_: str = "about:blank") -> dict[str, Any]:
    return kernel_problem_body(status, detail, instance=instance, errors=errors, type_=type_,
                               request_id=request_id_var.get() or None)


def problem_response(status: int, detail: str, *, instance: str | None = None,
                     headers: dict[str, str] | None = None, errors: list[dict[str, Any]] | None = None,
                     type_: str = "about:blank") -> JSONResponse:
    return JSONResponse(
        problem_body(status, detail, instance=instance, errors=errors, type_=type_),
        status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers,
    )


def problem_bytes(status: int, detail: str) -> bytes:
    """Serialized problem for pure-ASGI middleware (body limits, rate limits)."""
    return json.dumps(problem_body(status, detail)).encode()


def _clean_errors(errors: Any) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        out.append({"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", "")),
                    "type": str(err.get("type", ""))})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problem_response(exc.status, exc.detail, instance=request.url.path, headers=exc.headers,
                                type_=exc.type)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        return problem_response(exc.status_code, detail, instance=request.url.path,
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean_errors(exc.errors())
        summary = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem_response(422, f"request is invalid: {summary}", instance=request.url.path,
                                errors=errors)

    @app.exception_handler(OperationalError)
    async def _db_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database operational error", extra={"path": request.url.path, "error": str(exc.orig)})
        return problem_response(503, "database temporarily unavailable or busy; retry shortly",
                                instance=request.url.path, headers={"Retry-After": "1"})

    @app.exception_handler(ServiceUnavailable)
    async def _engine_unavailable(request: Request, exc: ServiceUnavailable) -> JSONResponse:
        log.warning("engine unavailable", extra={"path": request.url.path, "service": exc.service})
        return problem_response(503, exc.detail, instance=request.url.path,
                                headers={"Retry-After": str(exc.retry_after_s)})

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # The input contract (apps_api.contract) should refuse such values first; this keeps
        # a value the database cannot hold a client error if one slips through.
        log.warning("value refused by the database", extra={"path": request.url.path, "error": str(exc.orig)})
        return problem_response(422, "a value in the request cannot be stored (too long, out of range or "
                                     "not valid text)", instance=request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(500, "internal error; quote the request_id when reporting it",
                                instance=request.url.path)


def _problem_doc(description: str) -> dict[str, Any]:
    # No "model" key: FastAPI would build a pydantic field per route per status
    # (slow app start-up); the schema is added to components once in main.py.
    return {"description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_doc("Bad request"),
    401: _problem_doc("Missing or invalid credentials"),
    403: _problem_doc("Not allowed"),
    404: _problem_doc("Not found"),
    405: _problem_doc("Method not allowed on this path (e.g. an empty id segment lands on another route)"),
    409: _problem_doc("Conflict"),
    413: _problem_doc("Request body too large"),
    422: _problem_doc("Validation error"),
    429: _problem_doc("Rate limited"),
    503: _problem_doc("A backing service is temporarily unavailable; retry after Retry-After seconds"),
}
