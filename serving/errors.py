"""Failures a model deployment reports to the ingress: an HTTP status and a detail.

Raised inside a replica, they cross the deployment handle as exceptions (Ray
re-raises them in the caller as an instance of the same class, carrying the same
fields) and the ingress maps them to problem+json in one place. No sentinel
values in responses: a result is always a result.

The fields live on the instance only (class-level defaults have other names):
Ray's re-raised exception forwards missing attributes to the original, so reading
``exc.status`` in the ingress always gives the replica's value.
"""

from __future__ import annotations


class ServingError(Exception):
    """A request a deployment cannot answer, with the status the client should get."""

    default_status = 503
    default_title = "Service unavailable"

    def __init__(self, detail: str, status: int | None = None, title: str | None = None) -> None:
        super().__init__(detail, status, title)  # args: how the exception pickles across the handle
        self.detail = detail
        self.status = status if status is not None else self.default_status
        self.title = title if title is not None else self.default_title

    def __str__(self) -> str:
        return self.detail


class ModelUnavailable(ServingError):
    """No model version is loaded yet (nothing registered as champion): 503."""

    default_title = "Model unavailable"
