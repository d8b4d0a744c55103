"""problem+json for the OpenAI-protocol endpoints (the tutor and the local LLM).

Same body as every other HTTP surface of the platform
(:func:`suuupra.problem.problem_body`), plus the OpenAI ``error`` object, so the
official ``openai`` client raises a proper ``APIStatusError`` with a message.

No ``from __future__ import annotations`` here: Serve cloudpickles the FastAPI
apps that register :func:`validation_problem`, and FastAPI/Starlette resolve
handler annotations at runtime.
"""

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from suuupra.problem import PROBLEM_MEDIA_TYPE, problem_body


def openai_problem(status: int, detail: str, *, title: str | None = None) -> JSONResponse:
    """A problem+json response carrying an OpenAI ``error`` object."""
    return JSONResponse(problem_body(status, detail, title=title, openai_error=True), status_code=status,
                        media_type=PROBLEM_MEDIA_TYPE)


def validation_detail(exc: RequestValidationError) -> str:
    """One line naming each bad field (``messages: List should have at least 1 item``)."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors())


async def validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Exception handler: a malformed request body is a 422 problem, never FastAPI's default shape."""
    return openai_problem(422, validation_detail(exc), title="Invalid request")
