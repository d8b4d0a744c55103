"""App factory: ``create_app(settings=None)``; uvicorn target ``apps_api.main:create_app --factory``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from apps_api.config import ApiConfig
from apps_api.db import Database
from apps_api.errors import PROBLEM_RESPONSES, Problem, install_error_handlers
from apps_api.fraud import FraudClient
from apps_api.login_throttle import (
    FailureStore,
    LoginThrottle,
    MemoryFailureStore,
    RedisFailureStore,
    ThrottlePolicy,
)
from apps_api.logs import configure_logging
from apps_api.middleware import (
    BodySizeLimitMiddleware,
    Metrics,
    RateLimitMiddleware,
    RequestContextMiddleware,
    UrlGuardMiddleware,
)
from apps_api.migrate import assert_at_head
from apps_api.processor import SimulatedProcessor
from apps_api.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from apps_api.routers import api_router, health
from apps_api.security import make_hasher
from apps_api.services.review_queue import ReviewQueueCollector
from apps_api.state import AppState
from apps_api.streaming.config import StreamingConfig
from apps_api.streaming.runtime import build_runtime
from suuupra.settings import Profile, Settings, get_settings

API_PREFIX = "/api/v1"
log = logging.getLogger("apps_api")


def _backend(settings: Settings, config: ApiConfig) -> str:
    if config.rate_limit_backend == "auto":
        return "redis" if settings.profile is Profile.prod else "memory"
    return config.rate_limit_backend


def _limiter(settings: Settings, config: ApiConfig) -> RateLimiter:
    if _backend(settings, config) == "redis":
        return RedisRateLimiter(settings.redis_url, config.redis_key_prefix)
    return MemoryRateLimiter()


def _login_throttle(settings: Settings, config: ApiConfig) -> LoginThrottle:
    store: FailureStore = (RedisFailureStore(settings.redis_url, config.redis_key_prefix + "login:")
                           if _backend(settings, config) == "redis" else MemoryFailureStore())
    return LoginThrottle(store, ThrottlePolicy(
        free_failures=config.login_free_failures, free_failures_per_address=config.login_free_failures_per_address,
        window_s=config.login_window_s, max_backoff_s=config.login_max_backoff_s))


def build_state(settings: Settings, config: ApiConfig, streaming: StreamingConfig | None = None) -> AppState:
    db = Database(settings.database_url or "")
    if config.check_migrations:
        try:
            assert_at_head(db.engine)
        except Exception:
            db.dispose()
            raise
    return AppState(
        settings=settings, config=config, db=db,
        hasher=make_hasher(config.argon2_time_cost, config.argon2_memory_kib, config.argon2_parallelism),
        fraud=FraudClient(settings.fraud_scorer_url or "", settings.fraud_timeout_ms,
                          config.fraud_fallback_approve_max_minor, service_token=settings.serve_service_token),
        processor=SimulatedProcessor(config.processor_decline_rate, config.processor_timeout_rate,
                                     config.processor_timeout_s, config.processor_seed),
        jwt_secret=settings.jwt_secret.get_secret_value(),
        login_throttle=_login_throttle(settings, config),
        streaming=build_runtime(settings, streaming or StreamingConfig(), config.max_body_bytes),
    )


def create_app(settings: Settings | None = None, config: ApiConfig | None = None,
               streaming: StreamingConfig | None = None) -> FastAPI:
    """Build the API. Raises :class:`apps_api.migrate.MigrationStateError` when the
    database is not at the migration head (fix: ``suuupra db upgrade``).

    The one place the API reads its configuration: settings, the API config and the
    streaming config default to the environment here and are passed down as values."""
    settings = settings or get_settings()
    config = config or ApiConfig()
    configure_logging()
    state = build_state(settings, config, streaming or StreamingConfig())
    metrics = Metrics()
    metrics.registry.register(ReviewQueueCollector(state.db))
    state.extras["metrics"] = metrics

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = None
        if config.relay_interval_s > 0:
            task = asyncio.create_task(_relay_loop(state, config.relay_interval_s))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
            state.streaming.close()
            state.fraud.close()
            state.db.dispose()

    # No trailing-slash redirects: "/courses/" must not turn into a 307 to the course *list*
    # when a client meant "/courses/{id}" with an empty id; it is a 404 like any unknown path.
    app = FastAPI(title="Suuupra API", version="1.0.0", lifespan=lifespan, redirect_slashes=False,
                  description="Learner-facing API: identity, content, commerce, payments and ledger.")
    app.state.suuupra = state
    install_error_handlers(app)

    app.include_router(api_router, prefix=API_PREFIX, responses=PROBLEM_RESPONSES)
    app.include_router(health.router)
    # Problem is referenced from every error response: make sure it is in components.
    app.openapi_schema = None
    _ensure_problem_component(app)

    if config.rate_limit_enabled:
        app.add_middleware(RateLimitMiddleware, limiter=_limiter(settings, config), jwt_secret=state.jwt_secret,
                           ip_rate=config.ip_rate_per_s, ip_burst=config.ip_burst,
                           user_rate=config.user_rate_per_s, user_burst=config.user_burst)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=config.max_body_bytes, jwt_secret=state.jwt_secret)
    app.add_middleware(UrlGuardMiddleware)
    app.add_middleware(RequestContextMiddleware, metrics=metrics, log_requests=config.log_requests)
    return app


def _ensure_problem_component(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.setdefault("Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}"))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _relay_loop(state: AppState, interval_s: float) -> None:
    from fastapi.concurrency import run_in_threadpool

    from apps_api.outbox import relay_all
    from suuupra.eventlog import open_event_log

    event_log = open_event_log(state.settings)
    while True:
        try:
            await run_in_threadpool(relay_all, state.db, event_log)
        except Exception:
            log.exception("outbox relay failed; will retry")
        await asyncio.sleep(interval_s)
