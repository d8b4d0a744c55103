"""Every GET the crawler sends: manual redirects checked hop by hop, retries, byte caps.

Redirects are not left to ``httpx`` (``follow_redirects=True`` would send the
next request before the crawler could look at the target): each hop is checked
by the caller's ``check`` (scope, robots.txt) before it is requested, its address
is checked by :class:`crawlers.fetch_guard.GuardedTransport` when the connection
opens, and it takes one unit of the crawl's :class:`RequestBudget`. Bodies are
streamed and capped, so a hostile or broken server cannot make the crawler
buffer an unbounded response.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from crawlers.fetch_guard import TOO_LARGE, TOO_MANY_REDIRECTS, Refused, RequestBudget

REDIRECT_CODES = (301, 302, 303, 307, 308)
Check = Callable[[str], None]  # raises Refused when a URL must not be requested


@dataclass
class Opened:
    """The final response of a redirect chain (unread: the caller streams and closes it), or why not."""

    url: str
    final_url: str
    response: httpx.Response | None = None
    status: int = -1
    error: str = ""
    refused: str = ""
    detail: str = ""
    retries: int = 0
    redirects: int = 0

    def close(self) -> None:
        if self.response is not None:
            self.response.close()

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Fetcher:
    """Sends GETs for one crawl; thread-safe as long as ``check`` and ``wait_turn`` are."""

    def __init__(
        self,
        client: httpx.Client,
        budget: RequestBudget,
        *,
        normalize: Callable[[str], str],
        wait_turn: Callable[[], None] = lambda: None,
        max_redirects: int = 5,
        max_retries: int = 3,
        backoff_s: float = 0.5,
    ) -> None:
        self.client = client
        self.budget = budget
        self.normalize = normalize
        self.wait_turn = wait_turn
        self.max_redirects = max_redirects
        self.max_retries = max_retries
        self.backoff_s = backoff_s

    def open(self, url: str, check: Check, headers: dict[str, str] | None = None) -> Opened:
        """GET ``url`` following at most ``max_redirects`` redirects, each one ``check``-ed first.

        ``headers`` (conditional-GET validators) go with the first request only: they
        describe ``url``, not wherever it redirects to.
        """
        current, retries = url, 0
        for hop in range(self.max_redirects + 1):
            try:
                check(current)
                response, tries = self._send(current, headers if hop == 0 else None)
            except Refused as exc:
                return Opened(
                    url, current, refused=exc.reason, detail=exc.detail, retries=retries, redirects=hop
                )
            retries += tries
            if isinstance(response, str):
                return Opened(url, current, error=response, retries=retries, redirects=hop)
            location = response.headers.get("location")
            if response.status_code not in REDIRECT_CODES or not location:
                return Opened(
                    url,
                    current,
                    response=response,
                    status=response.status_code,
                    retries=retries,
                    redirects=hop,
                )
            response.close()
            try:
                current = self.normalize(urljoin(current, location.strip()))
            except ValueError:  # e.g. a port out of range: nothing to request
                return Opened(url, current, error=f"invalid redirect target {location!r}", retries=retries)
        return Opened(
            url,
            current,
            refused=TOO_MANY_REDIRECTS,
            detail=f"more than {self.max_redirects} redirects",
            retries=retries,
            redirects=self.max_redirects,
        )

    def _send(self, url: str, headers: dict[str, str] | None) -> tuple[httpx.Response | str, int]:
        """One hop with retries of 429/5xx/transport errors: (open response or error text, retries)."""
        attempt = 0
        while True:
            self.budget.take()
            self.wait_turn()
            retry_after = None
            try:
                response: httpx.Response | str = self.client.send(
                    self.client.build_request("GET", url, headers=headers), stream=True
                )
            except httpx.InvalidURL as exc:  # e.g. a hostile Location: not worth a retry
                return f"InvalidURL: {exc}", attempt
            except httpx.HTTPError as exc:
                response = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if isinstance(response, httpx.Response):
                if response.status_code != 429 and response.status_code < 500:
                    return response, attempt
                retry_after = response.headers.get("retry-after")
            if attempt >= self.max_retries:
                return response, attempt
            if isinstance(response, httpx.Response):
                response.close()
            attempt += 1
            wait = self.backoff_s * (2 ** (attempt - 1))
            if retry_after and retry_after.isdigit():
                wait = max(wait, min(float(retry_after), 30.0))
            time.sleep(wait)


def iter_capped(response: httpx.Response, max_bytes: int) -> Iterator[bytes]:
    """The (decoded) body in chunks; raises ``Refused(too_large)`` once it passes ``max_bytes``.

    A declared ``Content-Length`` over the cap is refused before any byte is read.
    """
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise Refused(TOO_LARGE, f"Content-Length {declared} > {max_bytes} bytes")
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise Refused(TOO_LARGE, f"larger than {max_bytes} bytes")
        yield chunk


def read_capped(response: httpx.Response, max_bytes: int, *, truncate: bool = False) -> tuple[bytes, bool]:
    """``(body, truncated)``: the whole body, or with ``truncate`` its first ``max_bytes``.

    Without ``truncate`` an oversized body raises ``Refused(too_large)``; with it
    (robots.txt, whose tail is ignored past the cap the way Google does) the
    prefix is returned and reading stops there.
    """
    chunks: list[bytes] = []
    size = 0
    if not truncate:
        for chunk in iter_capped(response, max_bytes):
            chunks.append(chunk)
        return b"".join(chunks), False
    for chunk in response.iter_bytes():
        if size + len(chunk) > max_bytes:
            chunks.append(chunk[: max_bytes - size])
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False
