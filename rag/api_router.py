"""HTTP search endpoints, mounted by the learner API (``apps_api``).

``GET /api/v1/search?q=...`` and ``GET /api/v1/search/autocomplete?q=...``.
Bad input gets a 400 ``application/problem+json`` naming the parameter; a
missing/locked index gets a 503 problem. Validation is done here (not with
FastAPI's 422 machinery) so the router returns the same problem documents
whether or not the host app installs a problem+json exception handler.
Each search appends a ``search.performed`` event after the response is sent.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/search", tags=["search"])
PROBLEM = "application/problem+json"


def _problem(status: int, title: str, detail: str, request: Request, **extra: Any) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    body.update(extra)
    # An outage is temporary: tell clients when to come back instead of failing them for good.
    headers = {"Retry-After": "5"} if status == 503 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _int(value: str | None, name: str, default: int, lo: int, hi: int) -> int:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer between {lo} and {hi}") from None
    if not lo <= n <= hi:
        raise ValueError(f"{name} must be an integer between {lo} and {hi}")
    return n


def _record(query: str, results: int, learner_id: str) -> None:
    try:
        from suuupra.eventlog import open_event_log
        from suuupra.events import make_event

        event = make_event("search.performed", query=query[:512], results=results, learner_id=learner_id)
        open_event_log().append([event])
    except Exception:  # analytics must never break search
        log.warning("could not record search.performed", exc_info=True)


@router.get("", summary="Hybrid search over course material and documentation")
def search_endpoint(
    request: Request,
    background: BackgroundTasks,
    q: str | None = Query(None, description="Search text (1-512 characters)."),
    k: str | None = Query(None, description="Number of results, 1-50 (default 10)."),
    course_id: str | None = Query(None),
    source: str | None = Query(None),
    content_type: str | None = Query(None),
    tags: list[str] | None = Query(None, description="Any of these tags (repeat the parameter)."),
    mode: str = Query("hybrid", description="hybrid | dense | bm25"),
) -> JSONResponse:
    from rag.retrieval import InvalidQueryError, search
    from rag.store import SearchUnavailableError

    if q is None or not q.strip():
        return _problem(400, "Invalid query", "query parameter q is required and must not be blank", request)
    if len(q) > 512:
        return _problem(400, "Invalid query", "q must be at most 512 characters", request)
    if mode not in ("hybrid", "dense", "bm25"):
        return _problem(400, "Invalid query", "mode must be one of hybrid, dense, bm25", request)
    try:
        top_k = _int(k, "k", 10, 1, 50)
    except ValueError as exc:
        return _problem(400, "Invalid query", str(exc), request)
    filters = {"course_id": course_id, "source": source, "content_type": content_type, "tags": tags}
    filters = {key: v for key, v in filters.items() if v}
    try:
        hits = search(q, k=top_k, filters=filters, mode=mode)  # type: ignore[arg-type]
    except InvalidQueryError as exc:
        return _problem(400, "Invalid query", str(exc), request)
    except SearchUnavailableError as exc:
        return _problem(503, "Search unavailable", str(exc), request)
    learner = getattr(request.state, "user_id", "") or ""
    background.add_task(_record, q.strip(), len(hits), str(learner))
    return JSONResponse(
        {
            "query": q.strip(),
            "k": top_k,
            "filters": filters,
            "count": len(hits),
            "results": [h.to_dict() for h in hits],
        }
    )


@router.get("/autocomplete", summary="Title and section suggestions for a prefix")
def autocomplete_endpoint(
    request: Request,
    q: str | None = Query(None, description="Prefix typed so far (1-100 characters)."),
    k: str | None = Query(None, description="Number of suggestions, 1-20 (default 8)."),
) -> JSONResponse:
    from rag.store import SearchUnavailableError
    from rag.suggest import autocomplete

    if q is None or not q.strip():
        return _problem(400, "Invalid prefix", "query parameter q is required and must not be blank", request)
    if len(q) > 100:
        return _problem(400, "Invalid prefix", "q must be at most 100 characters", request)
    try:
        top_k = _int(k, "k", 8, 1, 20)
    except ValueError as exc:
        return _problem(400, "Invalid prefix", str(exc), request)
    try:
        suggestions = autocomplete(q, k=top_k)
    except SearchUnavailableError as exc:
        return _problem(503, "Search unavailable", str(exc), request)
    return JSONResponse({"query": q, "suggestions": suggestions})
