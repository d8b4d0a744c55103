"""A polite, incremental, bounded web crawler for documentation sites.

Politeness: honours robots.txt (allow/disallow and Crawl-delay, capped), sends
an identifying User-Agent, limits concurrency and spaces requests to the host.
Robustness: retries 429/5xx/transport errors with exponential backoff (and
Retry-After), caps page, robots.txt and sitemap sizes, skips non-HTML.
Safety: the crawl talks only to its own seed hosts. Redirects are followed by
hand (:mod:`crawlers.fetching`) and every hop is checked for scope and robots
rules before it is sent; every connection is checked for internal addresses
(:mod:`crawlers.fetch_guard`); every request attempt counts against
``max_requests``. What is refused is counted by reason in the result, not raised.
Incrementality: conditional GETs from :class:`crawlers.state.CrawlState`; a 304
or an identical content hash counts as unchanged. Discovery is breadth-first
from the start URL, then sitemap entries the links did not reach, so a
``max_pages`` crawl is a stable, deterministic prefix of the site.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from crawlers.config import (
    PYTHON_DOCS_EXCLUDE,
    USER_AGENT,
    CrawlConfig,
    CrawlResult,
    normalize_url,
)
from crawlers.discovery import Politeness, SitemapLimits, SitemapReader
from crawlers.fetch_guard import (
    DISALLOWED,
    OUT_OF_SCOPE,
    REQUEST_BUDGET,
    AddressPolicy,
    GuardedTransport,
    Refused,
    RequestBudget,
    Resolver,
)
from crawlers.fetching import Fetcher, read_capped
from crawlers.state import CrawlState, state_path
from rag.extract import extract
from rag.types import Document

__all__ = [
    "PYTHON_DOCS_EXCLUDE", "SKIP_SUFFIXES", "USER_AGENT", "CrawlConfig", "CrawlResult", "Crawler", "crawl",
    "normalize_url",
]  # fmt: skip

log = logging.getLogger(__name__)

SKIP_SUFFIXES = (
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".css", ".js", ".zip", ".gz", ".bz2", ".tar",
    ".pdf", ".epub", ".txt", ".xml", ".json", ".woff", ".woff2", ".ttf", ".mp4", ".webm",
)  # fmt: skip


@dataclass
class _Fetched:
    url: str
    status: int
    final_url: str = ""
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    error: str = ""
    retries: int = 0
    content_type: str = ""
    refused: str = ""
    detail: str = ""


class Crawler:
    """Run one crawl of ``cfg`` against ``state``. Use :func:`crawl` for the common case.

    ``resolver`` replaces DNS resolution (``(host, port) -> getaddrinfo rows``), for tests.
    """

    def __init__(
        self,
        cfg: CrawlConfig,
        state: CrawlState,
        *,
        on_page: Callable[[str, str], None] | None = None,
        resolver: Resolver | None = None,
    ):
        self.cfg = cfg
        self.state = state
        self.on_page = on_page
        self._exclude = [re.compile(p) for p in cfg.exclude]
        self._start = normalize_url(cfg.start_url)
        self._seeds = cfg.seed_origins()
        self._resolver = resolver

    def in_scope(self, url: str) -> bool:
        scope = self.cfg.scope or ""
        if not url.startswith(scope) or self._origin(url) != self._origin(scope):
            return False
        path = urlsplit(url).path.lower()
        if path.endswith(SKIP_SUFFIXES):
            return False
        return not any(p.search(url) for p in self._exclude)

    @staticmethod
    def _origin(url: str) -> tuple[str, str, int | None]:
        p = urlsplit(url)
        return p.scheme.lower(), (p.hostname or "").lower(), p.port

    def _check_host(self, url: str) -> None:
        """robots.txt and sitemaps: any path, but only on the crawl's own hosts."""
        p = urlsplit(url)
        try:
            port = p.port or (443 if p.scheme == "https" else 80)
        except ValueError:  # a port that is not a number in range
            raise Refused(OUT_OF_SCOPE, f"invalid URL {url!r}") from None
        if (p.scheme.lower(), (p.hostname or "").lower(), port) not in self._seeds:
            raise Refused(OUT_OF_SCOPE, f"{p.hostname}:{port} is not a host of this crawl")

    def _page_check(self, polite: Politeness) -> Callable[[str], None]:
        """Every hop of a page fetch: in scope (the start URL itself is exempt) and allowed by robots.txt."""

        def check(url: str) -> None:
            if url != self._start and not self.in_scope(url):
                raise Refused(OUT_OF_SCOPE, f"{url} is outside {self.cfg.scope}")
            if not polite.allowed(url):
                raise Refused(DISALLOWED, f"{url} is disallowed by robots.txt")

        return check

    def _fetch(self, fetcher: Fetcher, polite: Politeness, url: str) -> _Fetched:
        prev = self.state.get(url)
        headers = {}
        if prev is not None and not prev.gone and prev.document is not None:
            if prev.etag:
                headers["If-None-Match"] = prev.etag
            if prev.last_modified:
                headers["If-Modified-Since"] = prev.last_modified
        with fetcher.open(url, self._page_check(polite), headers) as opened:
            f = _Fetched(
                url, opened.status, final_url=opened.final_url, error=opened.error, retries=opened.retries
            )
            f.refused, f.detail = opened.refused, opened.detail
            r = opened.response
            if r is None:
                if not f.refused and not f.error:
                    f.error = "transport error"
                return f
            f.content_type = r.headers.get("content-type", "")
            f.etag, f.last_modified = r.headers.get("etag"), r.headers.get("last-modified")
            if r.status_code == 200 and "html" in f.content_type.lower():
                try:
                    f.body, _ = read_capped(r, self.cfg.max_bytes)
                except Refused as exc:
                    f.status, f.refused, f.detail = -1, exc.reason, exc.detail
                except httpx.HTTPError as exc:
                    f.status, f.error = -1, f"{type(exc).__name__}: {exc}"
        return f

    def _discover(self, fetcher: Fetcher, polite: Politeness, result: CrawlResult) -> deque[str]:
        """Load robots.txt, then (unless disabled) the sitemaps it names on the crawl's own hosts."""
        root = urlsplit(self.cfg.start_url)
        refusal = polite.load(
            fetcher, f"{root.scheme}://{root.netloc}/robots.txt", self._check_host, self.cfg.robots_max_bytes
        )
        if refusal is not None:
            result.refuse(*refusal)
        result.robots_truncated = polite.truncated
        if not self.cfg.use_sitemap:
            return deque()
        limits = SitemapLimits(
            max_bytes=self.cfg.sitemap_max_bytes,
            max_urls=self.cfg.sitemap_max_urls,
            max_files=self.cfg.sitemap_max_files,
        )
        reader = SitemapReader(fetcher, self._check_host, limits)
        reader.read(polite.sitemaps or [f"{root.scheme}://{root.netloc}/sitemap.xml"])
        for refused in reader.refused:
            result.refuse(*refused)
        result.truncated = result.truncated or reader.capped
        urls: deque[str] = deque()
        for u in reader.urls:
            try:
                urls.append(normalize_url(u))
            except ValueError:
                continue
        return urls

    def run(self) -> CrawlResult:
        cfg = self.cfg
        result = CrawlResult()
        t0 = time.perf_counter()
        now = time.time()
        start = self._start
        seen: set[str] = {start}
        queue: deque[str] = deque([start])
        hashes: dict[str, str] = {}
        crawled_ok: set[str] = set()
        budget = RequestBudget(cfg.max_requests)
        policy = AddressPolicy(cfg.private_allowlist(), resolver=self._resolver)
        polite = Politeness(cfg.user_agent, delay_s=cfg.delay_s, max_crawl_delay_s=cfg.max_crawl_delay_s)
        limits = httpx.Limits(max_connections=cfg.concurrency)
        with httpx.Client(
            headers={"User-Agent": cfg.user_agent},
            timeout=cfg.timeout_s,
            follow_redirects=False,  # followed by hand, each hop checked: crawlers.fetching
            transport=GuardedTransport(policy, limits=limits),
        ) as client:
            fetcher = Fetcher(
                client, budget, normalize=normalize_url, wait_turn=polite.wait_turn,
                max_redirects=cfg.max_redirects, max_retries=cfg.max_retries, backoff_s=cfg.backoff_s,
            )  # fmt: skip
            sitemap = self._discover(fetcher, polite, result)
            with ThreadPoolExecutor(max_workers=cfg.concurrency, thread_name_prefix="crawl") as pool:
                while queue or sitemap:
                    if cfg.max_pages is not None and len(crawled_ok) >= cfg.max_pages:
                        result.truncated = True
                        break
                    if budget.exhausted or (budget.limit is not None and budget.used >= budget.limit):
                        result.truncated = True
                        break
                    while not queue and sitemap:
                        u = sitemap.popleft()
                        if u not in seen and self.in_scope(u):
                            seen.add(u)
                            queue.append(u)
                    budget_n = cfg.concurrency
                    if cfg.max_pages is not None:
                        budget_n = min(budget_n, cfg.max_pages - len(crawled_ok))
                    wave: list[str] = []
                    while queue and len(wave) < budget_n:
                        u = queue.popleft()
                        if not polite.allowed(u):
                            result.pages_disallowed += 1
                            result.refuse(u, DISALLOWED, "robots.txt")
                            continue
                        wave.append(u)
                    if not wave:
                        continue
                    for fetched in pool.map(lambda u: self._fetch(fetcher, polite, u), wave):
                        result.retries += fetched.retries
                        for link in self._handle(fetched, result, hashes, crawled_ok, now):
                            try:
                                link = normalize_url(link)
                            except ValueError:
                                continue
                            if link not in seen and self.in_scope(link):
                                seen.add(link)
                                queue.append(link)
        result.requests = budget.used
        if result.complete:
            # A complete crawl is authoritative: pages we no longer reach are gone.
            stale = sorted(
                u for u in set(self.state.live_urls()) - crawled_ok if u.startswith(cfg.scope or "")
            )
            for url in stale:
                st = self.state.get(url)
                if st is not None:
                    result.gone_doc_ids.append(st.doc_id)
            result.gone_urls.extend(stale)
            self.state.mark_gone(stale)
        result.elapsed_s = round(time.perf_counter() - t0, 3)
        return result

    def _handle(
        self, f: _Fetched, result: CrawlResult, hashes: dict[str, str], crawled_ok: set[str], now: float
    ) -> list[str]:
        cfg = self.cfg
        if f.refused:
            if f.refused == DISALLOWED:
                result.pages_disallowed += 1
            if f.refused == REQUEST_BUDGET:
                result.truncated = True
            hop = f" (redirected to {f.final_url})" if f.final_url and f.final_url != f.url else ""
            result.refuse(f.url, f.refused, f.detail + hop)
            self._notify(f.url, "refused")
            return []
        prev = self.state.get(f.url)
        if f.status in (404, 410):
            if prev is not None and not prev.gone:
                result.gone_urls.append(f.url)
                result.gone_doc_ids.append(prev.doc_id)
                self.state.mark_gone([f.url])
            self._notify(f.url, "gone")
            return []
        if f.status == 304 and prev is not None and prev.document is not None:
            result.pages_unchanged += 1
            result.pages_fetched += 1
            crawled_ok.add(f.url)
            h = prev.content_hash or ""
            if h in hashes:
                result.pages_duplicate += 1
            else:
                hashes[h] = f.url
                result.documents.append(prev.document)
            self._notify(f.url, "unchanged")
            return prev.links
        if f.status != 200:
            result.pages_failed += 1
            result.errors.append((f.url, f.error or f"HTTP {f.status}"))
            self._notify(f.url, "failed")
            return []
        if not f.body:  # not HTML (image, PDF, ...): nothing to index, nothing to follow
            self._notify(f.url, "skipped")
            return []
        page = extract(f.body, f.final_url or f.url)
        links = [] if page.nofollow else page.links
        result.pages_fetched += 1
        crawled_ok.add(f.url)
        doc = Document(
            url=f.url,
            title=page.title,
            sections=page.sections,
            source=cfg.source,
            course_id=cfg.course_id,
            content_type=cfg.content_type,
            tags=_tags_for(f.url, cfg.site_root or ""),
        )
        text_hash = hashlib.sha256("\n".join(s.text for s in page.sections).encode()).hexdigest()[:32]
        if page.noindex or not page.sections:
            result.pages_noindex += 1
            self.state.put(f.url, doc_id=doc.doc_id, status=200, fetched_at=now, links=links, gone=False)
            self._notify(f.url, "noindex")
            return links
        self.state.put(
            f.url,
            doc_id=doc.doc_id,
            status=200,
            fetched_at=now,
            etag=f.etag,
            last_modified=f.last_modified,
            content_hash=text_hash,
            links=links,
            document=doc,
        )
        if text_hash in hashes:  # same content under two URLs (e.g. "/" and "/index.html")
            result.pages_duplicate += 1
            self._notify(f.url, "duplicate")
            return links
        hashes[text_hash] = f.url
        result.documents.append(doc)
        if prev is None or prev.gone or prev.document is None:
            result.pages_new += 1
            result.changed_doc_ids.append(doc.doc_id)
            self._notify(f.url, "new")
        elif prev.content_hash == text_hash:
            result.pages_unchanged += 1
            self._notify(f.url, "unchanged")
        else:
            result.pages_changed += 1
            result.changed_doc_ids.append(doc.doc_id)
            self._notify(f.url, "changed")
        return links

    def _notify(self, url: str, what: str) -> None:
        if self.on_page is not None:
            self.on_page(url, what)


def _tags_for(url: str, site_root: str) -> list[str]:
    """First path segment below the site root ("library", "tutorial", ...) as a facet tag.

    Relative to the site root, not the crawl scope, so a page gets the same tag
    whether it was reached by a full crawl or a scoped one.
    """
    rest = url[len(site_root) :] if url.startswith(site_root) else urlsplit(url).path.lstrip("/")
    first = rest.split("/", 1)[0]
    return [first] if first and "/" in rest else []


def crawl(
    cfg: CrawlConfig, *, data_dir: Path, on_page: Callable[[str, str], None] | None = None
) -> CrawlResult:
    """Crawl with the persistent state of ``cfg.source`` (under ``<data_dir>/crawl``)."""
    with CrawlState(state_path(data_dir, cfg.source)) as state:
        return Crawler(cfg, state, on_page=on_page).run()
