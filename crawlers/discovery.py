"""robots.txt and sitemaps, read with hard bounds.

Both files come from the crawled site, so both are untrusted input: robots.txt
is read up to ``max_bytes`` (Google ignores everything past 500 KiB; the rules
before the cap still apply) and its ``Crawl-delay`` is capped, so a site cannot
stall a crawl for days; sitemaps are parsed while they stream, element by
element, so memory stays proportional to the URLs kept, not to the file, and
stop at the byte, URL and file limits of sitemaps.org (50 MB, 50,000 URLs). The
``Sitemap:`` lines and sitemap-index entries are only requests like any other:
the caller's ``check`` keeps them on the crawl's own hosts.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.robotparser
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast
from xml.etree import ElementTree

import httpx

from crawlers.fetch_guard import REQUEST_BUDGET, TOO_LARGE, Refused
from crawlers.fetching import Check, Fetcher, iter_capped, read_capped

log = logging.getLogger(__name__)

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SITEMAP_LIMIT = "sitemap_limit"
Refusal = tuple[str, str, str]  # (url, reason, detail)


ALLOW_ALL: list[str] = []
DISALLOW_ALL = ["User-agent: *", "Disallow: /"]


def _rules(lines: list[str]) -> urllib.robotparser.RobotFileParser:
    rp = urllib.robotparser.RobotFileParser()
    rp.parse(lines)
    return rp


def effective_gap(delay_s: float, robots_delay: float | None, max_crawl_delay_s: float) -> float:
    """Seconds between request starts: the configured delay, or robots.txt's Crawl-delay up to the cap."""
    return max(delay_s, min(float(robots_delay or 0), max_crawl_delay_s))


class Politeness:
    """robots.txt rules, the sitemaps it names, and a per-host minimum gap between request starts."""

    def __init__(self, user_agent: str, *, delay_s: float = 0.0, max_crawl_delay_s: float = 10.0) -> None:
        self.user_agent = user_agent
        self.delay_s = delay_s
        self.max_crawl_delay_s = max_crawl_delay_s
        self.rp = _rules(ALLOW_ALL)  # until a robots.txt says otherwise
        self.sitemaps: list[str] = []
        self.gap = delay_s
        self.truncated = False
        self._lock = threading.Lock()
        self._next = 0.0

    def load(self, fetcher: Fetcher, robots_url: str, check: Check, max_bytes: int) -> Refusal | None:
        """Fetch and parse robots.txt; returns the refusal when the request itself was refused."""
        with fetcher.open(robots_url, check) as opened:
            if opened.refused:
                return robots_url, opened.refused, opened.detail
            if opened.status == 200 and opened.response is not None:
                try:
                    body, self.truncated = read_capped(opened.response, max_bytes, truncate=True)
                except httpx.HTTPError:
                    return None
                lines = body.decode("utf-8", errors="replace").splitlines()
                if self.truncated:
                    lines = lines[:-1]  # the cut may fall inside a rule
                    log.warning("robots.txt %s is over %d bytes; the rest is ignored", robots_url, max_bytes)
                self.rp = _rules(lines)
            elif opened.status in (401, 403):
                self.rp = _rules(DISALLOW_ALL)
        self.sitemaps = list(self.rp.site_maps() or [])
        robots_delay = self.rp.crawl_delay(self.user_agent)
        self.gap = effective_gap(self.delay_s, float(robots_delay or 0), self.max_crawl_delay_s)
        if robots_delay and float(robots_delay) > self.max_crawl_delay_s:
            log.warning("Crawl-delay %s capped at %ss", robots_delay, self.max_crawl_delay_s)
        return None

    def allowed(self, url: str) -> bool:
        return self.rp.can_fetch(self.user_agent, url)

    def wait_turn(self) -> None:
        if self.gap <= 0:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.gap
        if start > now:
            time.sleep(start - now)


@dataclass
class _Parsed:
    is_index: bool = False
    locs: list[str] = field(default_factory=list)
    full: bool = False  # stopped at the URL limit


def _parse_stream(chunks: Iterable[bytes], max_urls: int, parsed: _Parsed) -> None:
    """Collect ``<loc>`` texts into ``parsed`` as the XML streams in, dropping each element once read."""
    parser: ElementTree.XMLPullParser = ElementTree.XMLPullParser(events=("start", "end"))
    stack: list[ElementTree.Element] = []
    for chunk in chunks:
        parser.feed(chunk)
        for item in parser.read_events():
            event, el = cast(tuple[str, ElementTree.Element], item)
            if event == "start":
                if not stack:
                    parsed.is_index = el.tag == f"{SITEMAP_NS}sitemapindex"
                stack.append(el)
                continue
            stack.pop()
            if el.tag == f"{SITEMAP_NS}loc" and (text := (el.text or "").strip()):
                parsed.locs.append(text)
                if len(parsed.locs) >= max_urls:
                    parsed.full = True
                    return
            if stack:
                stack[-1].remove(el)  # the only child left: keeps the tree (and memory) flat


@dataclass
class SitemapLimits:
    max_bytes: int = 50 * 1024 * 1024
    max_urls: int = 50_000
    max_files: int = 50
    max_depth: int = 2


class SitemapReader:
    """Page URLs from sitemaps (and sitemap indexes), in document order, within :class:`SitemapLimits`."""

    def __init__(self, fetcher: Fetcher, check: Check, limits: SitemapLimits) -> None:
        self.fetcher = fetcher
        self.check = check
        self.limits = limits
        self.urls: list[str] = []
        self.refused: list[Refusal] = []
        self.files = 0
        self.capped = False  # a limit cut discovery short: the crawl cannot be complete

    def read(self, sitemap_urls: Iterable[str]) -> list[str]:
        for url in sitemap_urls:
            self._read(url, 0)
        return self.urls

    def _refuse(self, url: str, reason: str, detail: str, *, capped: bool) -> None:
        self.refused.append((url, reason, detail))
        self.capped = self.capped or capped

    def _read(self, url: str, depth: int) -> None:
        remaining = self.limits.max_urls - len(self.urls)
        if remaining <= 0 or self.files >= self.limits.max_files:
            why = (
                f"{self.limits.max_urls} URLs" if remaining <= 0 else f"{self.limits.max_files} sitemap files"
            )
            self._refuse(url, SITEMAP_LIMIT, f"limit of {why} reached", capped=True)
            return
        self.files += 1
        parsed = _Parsed()
        with self.fetcher.open(url, self.check) as opened:
            if opened.refused:
                self._refuse(url, opened.refused, opened.detail, capped=opened.refused == REQUEST_BUDGET)
                return
            if opened.status != 200 or opened.response is None:
                return
            try:
                _parse_stream(iter_capped(opened.response, self.limits.max_bytes), remaining, parsed)
            except Refused as exc:  # over the byte cap: keep what was read before it
                self._refuse(url, TOO_LARGE, f"{exc.detail}; read up to the cap", capped=True)
            except (httpx.HTTPError, ElementTree.ParseError):
                return
        if parsed.full:
            self._refuse(url, SITEMAP_LIMIT, f"limit of {self.limits.max_urls} URLs reached", capped=True)
        if not parsed.is_index:
            self.urls.extend(parsed.locs)
        elif depth < self.limits.max_depth:
            for child in parsed.locs:
                self._read(child, depth + 1)
