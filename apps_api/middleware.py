"""Pure-ASGI middleware: request id + JSON access log + metrics, body limit, rate limit.

Pure ASGI (not ``BaseHTTPMiddleware``) so streaming responses and background
tasks of other routers keep working and the per-request overhead stays small.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from apps_api.errors import PROBLEM_MEDIA_TYPE, problem_bytes
from apps_api.logs import request_id_var
from apps_api.ratelimit import RateLimiter, retry_after
from apps_api.security import TokenError, decode_access_token

log = logging.getLogger("apps_api.access")
Scope = dict[str, Any]


async def send_problem(send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = problem_bytes(status, detail)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                            (b"content-length", str(len(body)).encode()),
                            (b"x-request-id", request_id_var.get().encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("api_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("api_request_duration_seconds", "Request latency", ["method", "route"],
                                 registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))


class UrlGuardMiddleware:
    """400 for a NUL byte anywhere in the URL, before any route sees it: PostgreSQL
    cannot store or compare text containing NUL, so such a path or query parameter
    would otherwise reach the database and fail there."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket") and (
                "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"")
                or b"\x00" in scope.get("query_string", b"")):
            if scope["type"] == "http":
                await send_problem(send, 400, "URLs must not contain NUL (%00) characters")
            else:
                await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)


class RequestContextMiddleware:
    def __init__(self, app, metrics: Metrics, log_requests: bool = True) -> None:
        self.app, self.metrics, self.log_requests = app, metrics, log_requests

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status_holder = [500]

        async def _send(message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            elapsed = time.perf_counter() - started
            route_path = _route_template(scope)
            self.metrics.requests.labels(scope["method"], route_path, str(status_holder[0])).inc()
            self.metrics.latency.labels(scope["method"], route_path).observe(elapsed)
            if self.log_requests:
                log.info("request", extra={"method": scope["method"], "path": scope["path"],
                                           "route": route_path, "status": status_holder[0],
                                           "duration_ms": round(elapsed * 1000, 2),
                                           "client": (scope.get("client") or ("", 0))[0]})
            request_id_var.reset(token)


def _route_template(scope: Scope) -> str:
    """Templated path (``/api/v1/orders/{order_id}``) for low-cardinality metric labels.

    Included routers keep their own relative path in ``scope["route"]``, so the
    mount prefix is recovered from the concrete request path.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not template:
        return "<unmatched>"
    try:
        concrete = getattr(route, "path_format", template).format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return template
    path = scope.get("path", "")
    return path[: len(path) - len(concrete)] + template if path.endswith(concrete) else template


class _TooLarge(BaseException):
    """BaseException on purpose: FastAPI turns any Exception raised while reading
    the body into a generic 400; this must reach our middleware to become a 413."""


class BodySizeLimitMiddleware:
    """Generic request-body cap. Video upload routes stream to disk and enforce their
    own (much larger) limit from the streaming config, but only for a caller whose
    token says instructor or admin: anyone else gets the generic cap, decided before
    a byte of the body is read, so a stranger cannot make the server buffer a huge
    body just to be told 401."""

    UPLOAD_PATHS = ("/api/v1/videos", "/api/v1/videos/")
    UPLOAD_PREFIXES = ("/api/v1/videos/uploads",)
    UPLOAD_ROLES = ("instructor", "admin")

    def __init__(self, app, max_bytes: int, jwt_secret: str) -> None:
        self.app, self.max_bytes, self.secret = app, max_bytes, jwt_secret

    def _may_upload(self, scope: Scope) -> bool:
        path = scope.get("path", "")
        if path not in self.UPLOAD_PATHS and not path.startswith(self.UPLOAD_PREFIXES):
            return False
        auth = dict(scope["headers"]).get(b"authorization", b"")
        if auth[:7].lower() != b"bearer ":
            return False
        try:
            return decode_access_token(self.secret, auth[7:].decode("latin-1")).role in self.UPLOAD_ROLES
        except TokenError:
            return False

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http" or self._may_upload(scope):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        limit_msg = f"request body exceeds {self.max_bytes} bytes"
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                await send_problem(send, 400, "invalid Content-Length header")
                return
            if too_big:
                await send_problem(send, 413, limit_msg)
                return
        seen = 0
        started = [False]

        async def _receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def _send(message) -> None:
            if message["type"] == "http.response.start":
                started[0] = True
            await send(message)

        try:
            await self.app(scope, _receive, _send)
        except _TooLarge:
            if not started[0]:
                await send_problem(send, 413, limit_msg)


class RateLimitMiddleware:
    """Per-IP bucket for every request, plus a per-user bucket when a valid token is sent."""

    EXEMPT = ("/healthz", "/readyz", "/metrics")
    # Signed media URLs are HMAC-verified and fetched in bursts by video players
    # (a segment every 2 s per rendition, plus prefetch); they are not rate limited.
    EXEMPT_PREFIXES = ("/api/v1/media/",)

    def __init__(self, app, limiter: RateLimiter, jwt_secret: str, ip_rate: float, ip_burst: int,
                 user_rate: float, user_burst: int) -> None:
        self.app, self.limiter, self.secret = app, limiter, jwt_secret
        self.ip_rate, self.ip_burst, self.user_rate, self.user_burst = ip_rate, ip_burst, user_rate, user_burst

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXEMPT or scope["path"].startswith(self.EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        ip = (scope.get("client") or ("unknown", 0))[0]
        wait = self.limiter.take(f"ip:{ip}", self.ip_rate, self.ip_burst)
        if wait > 0:
            await send_problem(send, 429, f"too many requests from {ip}; slow down",
                               [(b"retry-after", retry_after(wait).encode())])
            return
        auth = dict(scope["headers"]).get(b"authorization", b"")
        if auth[:7].lower() == b"bearer ":
            try:
                user_id = decode_access_token(self.secret, auth[7:].decode("latin-1")).user_id
            except TokenError:
                user_id = None  # the route answers 401
            if user_id:
                wait = self.limiter.take(f"user:{user_id}", self.user_rate, self.user_burst)
                if wait > 0:
                    await send_problem(send, 429, "too many requests for this user; slow down",
                                       [(b"retry-after", retry_after(wait).encode())])
                    return
        await self.app(scope, receive, send)
