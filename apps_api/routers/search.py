"""Search over course material and documentation: ``GET /api/v1/search`` and ``/search/autocomplete``.

The search engine (:mod:`rag`) knows nothing about HTTP; this router turns its
answers and failures into the API's: bad input is a 400 problem naming the
parameter, a missing/locked/unreachable index a 503 problem with ``Retry-After``.
Validation is done here rather than with FastAPI's 422 machinery because
clients rely on 400 for a bad query. The index location comes from the app's
settings (``state.settings``), never from process settings. Each search
appends a ``search.performed`` event after the response is sent.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Query, Request

from apps_api.deps import StateDep
from apps_api.errors import ApiError

log = logging.getLogger("apps_api.search")
router = APIRouter(prefix="/search", tags=["search"])
MODES = ("hybrid", "dense", "bm25")


def _int(value: str | None, name: str, default: int, lo: int, hi: int) -> int:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer between {lo} and {hi}") from None
    if not lo <= n <= hi:
        raise ApiError(400, f"{name} must be an integer between {lo} and {hi}")
    return n


def _text(value: str | None, max_chars: int) -> str:
    if value is None or not value.strip():
        raise ApiError(400, "query parameter q is required and must not be blank")
    if len(value) > max_chars:
        raise ApiError(400, f"q must be at most {max_chars} characters")
    return value


def _store(state: Any) -> Any:
    """The index location of this app's settings (built once per app)."""
    store = state.extras.get("search_store")
    if store is None:
        from rag.store import StoreLocation

        store = state.extras["search_store"] = StoreLocation.from_settings(state.settings)
    return store


def _record(settings: Any, query: str, results: int, learner_id: str) -> None:
    try:
        from suuupra.eventlog import open_event_log
        from suuupra.events import make_event

        event = make_event("search.performed", query=query[:512], results=results, learner_id=learner_id)
        open_event_log(settings).append([event])
    except Exception:  # analytics must never break search
        log.warning("could not record search.performed", exc_info=True)


@router.get("", summary="Hybrid search over course material and documentation")
def search_endpoint(
    request: Request,
    state: StateDep,
    background: BackgroundTasks,
    q: str | None = Query(None, description="Search text (1-512 characters)."),
    k: str | None = Query(None, description="Number of results, 1-50 (default 10)."),
    course_id: str | None = Query(None),
    source: str | None = Query(None),
    content_type: str | None = Query(None),
    tags: list[str] | None = Query(None, description="Any of these tags (repeat the parameter)."),
    mode: str = Query("hybrid", description="hybrid | dense | bm25"),
) -> dict[str, Any]:
    from rag.retrieval import InvalidQueryError, search

    query = _text(q, 512).strip()
    if mode not in MODES:
        raise ApiError(400, "mode must be one of hybrid, dense, bm25")
    top_k = _int(k, "k", 10, 1, 50)
    filters = {"course_id": course_id, "source": source, "content_type": content_type, "tags": tags}
    filters = {key: v for key, v in filters.items() if v}
    try:
        hits = search(query, k=top_k, filters=filters, store=_store(state), mode=mode)  # type: ignore[arg-type]
    except InvalidQueryError as exc:
        raise ApiError(400, str(exc)) from None
    learner = getattr(request.state, "user_id", "") or ""
    background.add_task(_record, state.settings, query, len(hits), str(learner))
    return {
        "query": query,
        "k": top_k,
        "filters": filters,
        "count": len(hits),
        "results": [h.to_dict() for h in hits],
    }


@router.get("/autocomplete", summary="Title and section suggestions for a prefix")
def autocomplete_endpoint(
    state: StateDep,
    q: str | None = Query(None, description="Prefix typed so far (1-100 characters)."),
    k: str | None = Query(None, description="Number of suggestions, 1-20 (default 8)."),
) -> dict[str, Any]:
    from rag.suggest import autocomplete

    prefix = _text(q, 100)
    top_k = _int(k, "k", 8, 1, 20)
    suggestions = autocomplete(prefix, k=top_k, store=_store(state))
    return {"query": prefix, "suggestions": suggestions}
