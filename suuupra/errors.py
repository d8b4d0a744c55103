"""Failures every area can raise and every edge (HTTP, CLI) knows how to answer.

Library code raises these instead of returning sentinels; the API maps them to
problem+json once, the CLI to a message naming the fix.
"""

from __future__ import annotations


class ServiceUnavailable(RuntimeError):
    """An engine a request needs (event broker, vector store, model server) is down
    right now: answered as 503 with ``Retry-After``, never as a 500."""

    def __init__(self, service: str, detail: str, retry_after_s: int = 5) -> None:
        super().__init__(f"{service} unavailable: {detail}")
        self.service = service
        self.detail = detail
        self.retry_after_s = retry_after_s


class CLIError(Exception):
    """A user-facing command failure: printed as one message naming the fix, exit code 2."""
