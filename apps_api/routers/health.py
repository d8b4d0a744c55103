"""Liveness, readiness and Prometheus metrics (outside /api/v1)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from apps_api.errors import problem_response
from apps_api.migrate import MigrationStateError, assert_at_head

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up (no dependencies checked)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"description": "not ready"}})
async def readyz(request: Request):
    """Ready to serve: database reachable and at the migration head."""
    state = request.app.state.suuupra

    def _check() -> str | None:
        try:
            with state.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            assert_at_head(state.db.engine)
        except MigrationStateError as exc:
            return str(exc)
        except Exception as exc:  # any database failure means "not ready"
            return f"database unavailable: {type(exc).__name__}"
        return None

    problem = await run_in_threadpool(_check)
    if problem:
        return problem_response(503, problem, instance="/readyz")
    return Health(status="ready")


@router.get("/metrics", response_class=Response, include_in_schema=False)
def metrics(request: Request) -> Response:
    registry = request.app.state.suuupra.extras["metrics"].registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
