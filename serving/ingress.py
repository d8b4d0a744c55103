"""HTTP ingress of the serving application (FastAPI via ``@serve.ingress``).

Routes: ``POST /recommendations``, ``POST /fraud/score``, ``GET /status``,
``GET /healthz``, ``POST /admin/reload``. The model deployments arrive as handles in
the constructor (Serve composition), so replicas scale independently of HTTP.

``/fraud/score`` (decides payment capture) and ``/admin/reload`` (makes replicas hit
the registry) need ``Authorization: Bearer <serve_service_token>``; a missing or
wrong token is a 401 problem+json (see :mod:`serving.auth`). ``/recommendations``,
``/status``, ``/healthz`` and ``/docs`` stay public: learner-facing clients and
health probes call them, and they only read.

Every answer carries ``X-Request-ID`` (Serve's proxy takes it from the caller —
apps_api forwards its own — or generates one, and echoes it; we copy it into the
body and the logs) and the model version. Bad input is a 4xx
``application/problem+json`` naming the offending field; a model that is not loaded
is 503, a deadline overrun 504. Problem bodies are the platform's one format
(:func:`suuupra.problem.problem_body`); a deployment's
:class:`~serving.errors.ServingError` becomes one here, in :meth:`Ingress._serve`.
Calls to model replicas are retried (within the deadline) when the replica died
under them: scoring is idempotent, and this is what keeps a replica crash invisible
to clients while Serve replaces it.

The model deployments are called with the validated request models and answer with
response models (:mod:`serving.schemas`): typed values through the handles, parsed
once, here.
"""


import asyncio
import logging
import time
import uuid
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, SecretStr
from ray import serve
from ray.serve.handle import DeploymentHandle
from starlette.exceptions import HTTPException as StarletteHTTPException

from serving import metrics
from serving.auth import CHALLENGE, ServiceToken, ServiceTokenRejected, require_service_token
from serving.errors import ServingError
from serving.schemas import (
    DeploymentStatus,
    FraudScoreRequest,
    FraudScoreResponse,
    RecommendationRequest,
    RecommendationResponse,
    ServiceStatus,
)
from suuupra.problem import PROBLEM_MEDIA_TYPE, problem_body

log = logging.getLogger("suuupra.serving")

REQUEST_ID_HEADER = "X-Request-ID"

api = FastAPI(
    title="Suuupra serving",
    description="Recommendations and fraud scoring (Ray Serve).",
    docs_url="/docs",
    redoc_url=None,
)


def problem(status: int, detail: str, request_id: str, *, title: str | None = None, **fields: Any) -> JSONResponse:
    """The platform's problem+json body (:func:`suuupra.problem.problem_body`) as a response."""
    body = problem_body(status, detail, title=title, request_id=request_id or None, **fields)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def _request_id(request: Request) -> str:
    rid = request.headers.get(REQUEST_ID_HEADER, "").strip()
    return rid[:128] if rid else uuid.uuid4().hex


def _service_token() -> ServiceToken:
    """The token of the replica serving this request (how Serve itself injects ``self``)."""
    return serve.get_replica_context().servable_object.service_token


_authorized = Depends(require_service_token(_service_token))
PROTECTED_PATHS = frozenset({"/fraud/score", "/admin/reload"})
_UNAUTHORIZED = {401: {"description": "missing or wrong service token (problem+json)"}}


@api.exception_handler(ServiceTokenRejected)
async def _unauthorized(request: Request, exc: ServiceTokenRejected) -> JSONResponse:
    log.warning("request_id=%s path=%s rejected: %s", _request_id(request), request.url.path, exc.detail)
    response = problem(401, exc.detail, _request_id(request), title="Unauthorized")
    response.headers["WWW-Authenticate"] = CHALLENGE
    return response


@api.exception_handler(RequestValidationError)
async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    if request.url.path in PROTECTED_PATHS:  # unparsable JSON fails before dependencies run
        try:
            _service_token().check(request.headers.get("authorization"))
        except ServiceTokenRejected as denied:
            return await _unauthorized(request, denied)
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if p != "body") or "body"
        parts.append(f"{loc}: {err['msg']}")
    return problem(422, "; ".join(parts), _request_id(request), title="Invalid request",
                   errors=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()])


@api.exception_handler(StarletteHTTPException)
async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem(exc.status_code, str(exc.detail), _request_id(request))


_RETRYABLE: tuple[type[BaseException], ...] = ()


def _retryable() -> tuple[type[BaseException], ...]:
    global _RETRYABLE
    if not _RETRYABLE:
        from ray import exceptions as rex

        names = ("ActorDiedError", "ActorUnavailableError", "RayActorError", "ActorUnschedulableError")
        _RETRYABLE = tuple(getattr(rex, n) for n in names if hasattr(rex, n))
    return _RETRYABLE


@serve.deployment(
    name="Ingress",
    max_ongoing_requests=128,
    health_check_period_s=5,
    health_check_timeout_s=10,
    ray_actor_options={"num_cpus": 0},
)
@serve.ingress(api)
class Ingress:
    def __init__(self, recommender: DeploymentHandle, fraud: DeploymentHandle,
                 request_timeout_s: float = 2.0, max_attempts: int = 3, *,
                 service_token: SecretStr) -> None:
        self.service_token = ServiceToken(service_token)
        self.recommender = recommender
        self.fraud = fraud
        self.timeout_s = request_timeout_s
        self.max_attempts = max_attempts

    async def _call(self, method: Any, payload: BaseModel) -> Any:
        """Call a model deployment with a deadline; retry when its replica died."""
        deadline = time.monotonic() + self.timeout_s
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            response = method.remote(payload)
            try:
                return await asyncio.wait_for(response, timeout=remaining)
            except TimeoutError:
                response.cancel()
                raise
            except _retryable() as exc:
                if attempt >= self.max_attempts:
                    raise
                log.warning("replica failed (%s), retrying (attempt %d)", type(exc).__name__, attempt)
                await asyncio.sleep(0.05 * attempt)

    async def _serve(self, endpoint: str, rid: str, method: Any, payload: BaseModel,
                     response_model: type[RecommendationResponse | FraudScoreResponse]) -> JSONResponse:
        started = time.perf_counter()
        status = 200
        try:
            result = await self._call(method, payload)
            if not isinstance(result, response_model):
                raise TypeError(f"{endpoint} answered {type(result).__name__}, not {response_model.__name__}")
            body = result.model_copy(update={"request_id": rid}).model_dump(mode="json")
            return JSONResponse(body)  # Serve's proxy echoes X-Request-ID itself
        except ServingError as exc:  # raised in the replica, re-raised here by Ray with its fields
            status = exc.status
            return problem(exc.status, exc.detail, rid, title=exc.title)
        except TimeoutError:
            status = 504
            return problem(504, f"{endpoint} did not answer within {self.timeout_s}s", rid, title="Timeout")
        except Exception as exc:  # never a bare 500 with a traceback
            status = 503
            log.exception("request %s to %s failed", rid, endpoint)
            return problem(503, f"{endpoint} failed: {type(exc).__name__}", rid, title="Service unavailable")
        finally:
            ms = (time.perf_counter() - started) * 1000
            metrics.observe_latency(endpoint, status, ms)
            log.info("request_id=%s endpoint=%s status=%s ms=%.1f", rid, endpoint, status, ms)

    @api.post("/recommendations", response_model=RecommendationResponse,
              responses={422: {"description": "invalid request (problem+json)"}})
    async def recommendations(self, body: RecommendationRequest, request: Request) -> JSONResponse:
        rid = _request_id(request)
        return await self._serve("/recommendations", rid, self.recommender.recommend, body,
                                 RecommendationResponse)

    @api.post("/fraud/score", response_model=FraudScoreResponse, dependencies=[_authorized],
              responses={**_UNAUTHORIZED, 422: {"description": "invalid request (problem+json)"}})
    async def fraud_score(self, body: FraudScoreRequest, request: Request) -> JSONResponse:
        rid = _request_id(request)
        return await self._serve("/fraud/score", rid, self.fraud.score, body, FraudScoreResponse)

    async def _statuses(self, method: str) -> list[DeploymentStatus]:
        out = []
        for name, handle in (("Recommender", self.recommender), ("FraudScorer", self.fraud)):
            try:
                st = await asyncio.wait_for(getattr(handle, method).remote(), timeout=max(self.timeout_s, 30))
                out.append(st if isinstance(st, DeploymentStatus) else DeploymentStatus.model_validate(st))
            except Exception as exc:
                out.append(DeploymentStatus(name=name, last_error=f"{type(exc).__name__}: {exc}"))
        return out

    @api.get("/status", response_model=ServiceStatus)
    async def status(self) -> ServiceStatus:
        """Model version per deployment (one replica each; all converge within a poll)."""
        deps = await self._statuses("status")
        ok = all(d.model_version and not d.last_error for d in deps)
        return ServiceStatus(status="ok" if ok else "degraded", deployments=deps)

    @api.post("/admin/reload", response_model=ServiceStatus, dependencies=[_authorized],
              responses=_UNAUTHORIZED)
    async def reload(self) -> ServiceStatus:
        """Check the champion alias now instead of at the next poll."""
        deps = await self._statuses("reload")
        ok = all(d.model_version and not d.last_error for d in deps)
        return ServiceStatus(status="ok" if ok else "degraded", deployments=deps)

    @api.get("/healthz")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}
