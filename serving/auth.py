"""Service-token auth for the serving routes that score payments or change state.

``POST /fraud/score`` decides whether a payment is captured and ``POST /admin/reload``
makes every replica hit the model registry; on a cluster the Serve proxy listens on
all interfaces, so being on loopback is no protection. Callers (apps_api, the CLI,
the Dagster lifecycle asset) present ``Authorization: Bearer <serve_service_token>``.

The expected token reaches the ingress by value (builder -> replica constructor),
never from the environment inside a request. Comparison is constant-time
(:func:`hmac.compare_digest`) so response timing does not leak how much of a guess
was right. The token is never logged or echoed.

No ``from __future__ import annotations`` here (as in :mod:`serving.ingress`): Serve
cloudpickles the route table to the replicas, and a pickled closure keeps only the
globals its body uses, so a string annotation like ``"Request"`` could no longer be
resolved there and FastAPI would read ``request`` as a query parameter.
"""

import hmac
from collections.abc import Awaitable, Callable

from fastapi import Request
from pydantic import SecretStr

SCHEME = "Bearer"
#: ``WWW-Authenticate`` value sent with every 401 (RFC 6750).
CHALLENGE = 'Bearer realm="suuupra-serving"'


class ServiceTokenRejected(Exception):
    """Missing or wrong service token; the ingress maps it to a 401 problem+json."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _raw(token: SecretStr | str) -> str:
    return token.get_secret_value() if isinstance(token, SecretStr) else token


class ServiceToken:
    """The token one deployment expects; checks ``Authorization`` header values."""

    def __init__(self, token: SecretStr | str) -> None:
        raw = _raw(token)
        if not raw:
            raise ValueError("the serve service token must not be empty (set SUUUPRA_SERVE_SERVICE_TOKEN)")
        self._expected = raw.encode("utf-8")

    def __repr__(self) -> str:  # never show the token in logs or tracebacks
        return "ServiceToken('**********')"

    def check(self, authorization: str | None) -> None:
        """Raise :class:`ServiceTokenRejected` unless ``authorization`` is ``Bearer <token>``."""
        if not authorization:
            raise ServiceTokenRejected(f"this route needs 'Authorization: {SCHEME} <service token>'")
        scheme, _, presented = authorization.strip().partition(" ")
        if scheme.lower() != SCHEME.lower() or not presented.strip():
            raise ServiceTokenRejected(f"the Authorization header must use the {SCHEME} scheme")
        if not hmac.compare_digest(presented.strip().encode("utf-8"), self._expected):
            raise ServiceTokenRejected("the service token is not valid")


def bearer_headers(token: SecretStr | str) -> dict[str, str]:
    """Headers a client sends to the protected serving routes."""
    return {"Authorization": f"{SCHEME} {_raw(token)}"}


def require_service_token(current: Callable[[], ServiceToken]) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency checking the request against ``current()``.

    A dependency rather than a check in the handler so it runs before the body is
    validated: an unauthenticated caller gets 401, not field-level 422 details.
    ``current`` is looked up per request because Serve builds the route table at
    import time, before the replica (and its token) exists.
    """

    async def dependency(request: Request) -> None:
        current().check(request.headers.get("authorization"))

    return dependency
