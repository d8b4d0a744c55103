"""RFC 9457 problem details: the one error body every HTTP surface of the platform sends.

The API, the Serve ingress, the tutor and the OpenAI-protocol LLM endpoints all
answer failures with ``application/problem+json``. They build the body here so
the fields (and their spelling) never drift apart; each web framework only
wraps the dict in its own response type. Framework-free on purpose: the kernel
imports no web framework.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"


def status_title(status: int) -> str:
    """The standard reason phrase (``404`` -> ``Not Found``)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(status: int, detail: str, *, title: str | None = None, instance: str | None = None,
                 request_id: str | None = None, errors: list[dict[str, Any]] | None = None,
                 type_: str = "about:blank", openai_error: bool = False, **extra: Any) -> dict[str, Any]:
    """The problem document.

    ``openai_error`` adds the ``error`` object OpenAI SDKs read, so the LLM and tutor
    endpoints stay usable from those clients while speaking problem+json.
    """
    body: dict[str, Any] = {"type": type_, "title": title or status_title(status), "status": status,
                            "detail": detail, "instance": instance, "request_id": request_id}
    if errors is not None:
        body["errors"] = errors
    if openai_error:
        body["error"] = {"message": detail, "type": body["title"].lower().replace(" ", "_"), "code": status}
    body.update(extra)
    return body


def problem_bytes(status: int, detail: str, **fields: Any) -> bytes:
    """Serialized problem, for pure-ASGI middleware that writes bytes itself."""
    return json.dumps(problem_body(status, detail, **fields)).encode()
