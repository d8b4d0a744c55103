"""A polite, incremental, bounded web crawler for documentation sites.

Politeness: honours robots.txt (allow/disallow and Crawl-delay), sends an
identifying User-Agent, limits concurrency and spaces requests to the host.
Robustness: retries 429/5xx/transport errors with exponential backoff (and
Retry-After), never follows links out of scope, caps page size, skips non-HTML.
Incrementality: conditional GETs from :class:`crawlers.state.CrawlState`; a 304
or an identical content hash counts as unchanged. Discovery is breadth-first
from the start URL, then sitemap entries the links did not reach, so a
``max_pages`` crawl is a stable, deterministic prefix of the site.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import urllib.robotparser
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit, urlunsplit
from xml.etree import ElementTree

import httpx

from crawlers.extract import extract
from crawlers.state import CrawlState
from rag.types import Document

log = logging.getLogger(__name__)

USER_AGENT = "SuuupraBot/1.0 (+https://suuupra.example/bot; docs search indexer)"
SKIP_SUFFIXES = (
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".css", ".js", ".zip", ".gz", ".bz2", ".tar",
    ".pdf", ".epub", ".txt", ".xml", ".json", ".woff", ".woff2", ".ttf", ".mp4", ".webm",
)  # fmt: skip
PYTHON_DOCS_EXCLUDE = (r"/genindex", r"/search\.html$", r"/py-modindex\.html$", r"/_sources/", r"/_static/")


@dataclass
class CrawlConfig:
    """What to crawl and how hard. ``scope`` defaults to the start URL's directory."""

    start_url: str
    source: str = "python-docs"
    max_pages: int | None = None
    scope: str | None = None
    exclude: tuple[str, ...] = PYTHON_DOCS_EXCLUDE
    concurrency: int = 4
    delay_s: float = 0.0
    max_retries: int = 3
    backoff_s: float = 0.5
    timeout_s: float = 15.0
    max_bytes: int = 5_000_000
    use_sitemap: bool = True
    user_agent: str = USER_AGENT
    course_id: str = ""
    content_type: str = "docs"
    site_root: str | None = None  # tags are path segments below this; default: scheme://host/

    def __post_init__(self) -> None:
        parts = urlsplit(self.start_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"start_url must be an absolute http(s) URL, got {self.start_url!r}")
        if self.max_pages is not None and self.max_pages < 1:
            raise ValueError("max_pages must be >= 1")
        if self.concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        if self.scope is None:
            path = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
            self.scope = urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))
        if self.site_root is None:
            self.site_root = urlunsplit((parts.scheme, parts.netloc.lower(), "/", "", ""))


@dataclass
class CrawlResult:
    """Counts plus the documents to (re-)index and the pages that disappeared."""

    pages_fetched: int = 0
    pages_new: int = 0
    pages_changed: int = 0
    pages_unchanged: int = 0
    pages_failed: int = 0
    pages_disallowed: int = 0
    pages_duplicate: int = 0
    pages_noindex: int = 0
    requests: int = 0
    retries: int = 0
    truncated: bool = False
    elapsed_s: float = 0.0
    documents: list[Document] = field(default_factory=list)
    changed_doc_ids: list[str] = field(default_factory=list)
    gone_urls: list[str] = field(default_factory=list)
    gone_doc_ids: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, float | int | bool]:
        keys = (
            "pages_fetched", "pages_new", "pages_changed", "pages_unchanged", "pages_failed", "pages_disallowed",
            "pages_duplicate", "pages_noindex", "requests", "retries", "truncated", "elapsed_s",
        )  # fmt: skip
        out: dict[str, float | int | bool] = {k: getattr(self, k) for k in keys}
        out["documents"] = len(self.documents)
        out["pages_gone"] = len(self.gone_urls)
        return out


def normalize_url(url: str) -> str:
    """Canonical form used for dedup: no fragment, lower-case host, no default port, sorted query."""
    url, _ = urldefrag(url.strip())
    p = urlsplit(url)
    host = (p.hostname or "").lower()
    port = p.port
    netloc = host if port is None or (p.scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    query = "&".join(sorted(q for q in p.query.split("&") if q))
    return urlunsplit((p.scheme.lower(), netloc, p.path or "/", query, ""))


class _Politeness:
    """Robots rules plus a per-host minimum gap between request starts."""

    def __init__(self, client: httpx.Client, cfg: CrawlConfig) -> None:
        self.cfg = cfg
        self.rp = urllib.robotparser.RobotFileParser()
        self.sitemaps: list[str] = []
        root = urlsplit(cfg.start_url)
        robots_url = f"{root.scheme}://{root.netloc}/robots.txt"
        try:
            r = client.get(robots_url)
            if r.status_code == 200:
                self.rp.parse(r.text.splitlines())
            elif r.status_code in (401, 403):
                self.rp.disallow_all = True
            else:
                self.rp.allow_all = True
        except httpx.HTTPError:
            self.rp.allow_all = True
        self.sitemaps = list(self.rp.site_maps() or [])
        if not self.sitemaps:
            self.sitemaps = [f"{root.scheme}://{root.netloc}/sitemap.xml"]
        delay = self.rp.crawl_delay(cfg.user_agent)
        self.gap = max(cfg.delay_s, float(delay or 0))
        self._lock = threading.Lock()
        self._next = 0.0

    def allowed(self, url: str) -> bool:
        return self.rp.can_fetch(self.cfg.user_agent, url)

    def wait_turn(self) -> None:
        if self.gap <= 0:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.gap
        if start > now:
            time.sleep(start - now)


def _sitemap_urls(client: httpx.Client, sitemap_url: str, depth: int = 0) -> list[str]:
    try:
        r = client.get(sitemap_url)
        if r.status_code != 200:
            return []
        root = ElementTree.fromstring(r.content)
    except (httpx.HTTPError, ElementTree.ParseError):
        return []
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    urls = [(el.text or "").strip() for el in root.iter(f"{ns}loc")]
    if root.tag == f"{ns}sitemapindex" and depth < 2:
        return [u for sm in urls for u in _sitemap_urls(client, sm, depth + 1)]
    return [u for u in urls if u]


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


class Crawler:
    """Run one crawl of ``cfg`` against ``state``. Use :func:`crawl` for the common case."""

    def __init__(
        self, cfg: CrawlConfig, state: CrawlState, *, on_page: Callable[[str, str], None] | None = None
    ):
        self.cfg = cfg
        self.state = state
        self.on_page = on_page
        self._exclude = [re.compile(p) for p in cfg.exclude]

    def in_scope(self, url: str) -> bool:
        if not url.startswith(self.cfg.scope or ""):
            return False
        path = urlsplit(url).path.lower()
        if path.endswith(SKIP_SUFFIXES):
            return False
        return not any(p.search(url) for p in self._exclude)

    def _fetch(self, client: httpx.Client, polite: _Politeness, url: str) -> _Fetched:
        prev = self.state.get(url)
        headers = {}
        if prev is not None and not prev.gone and prev.document is not None:
            if prev.etag:
                headers["If-None-Match"] = prev.etag
            if prev.last_modified:
                headers["If-Modified-Since"] = prev.last_modified
        attempt = 0
        while True:
            polite.wait_turn()
            try:
                with client.stream("GET", url, headers=headers) as r:
                    ctype = r.headers.get("content-type", "")
                    body = b""
                    if r.status_code == 200 and "html" in ctype.lower():
                        chunks = []
                        size = 0
                        for part in r.iter_bytes():
                            size += len(part)
                            if size > self.cfg.max_bytes:
                                return _Fetched(url, -1, error=f"larger than {self.cfg.max_bytes} bytes")
                            chunks.append(part)
                        body = b"".join(chunks)
                    status = r.status_code
                    result = _Fetched(
                        url,
                        status,
                        final_url=normalize_url(str(r.url)),
                        body=body,
                        etag=r.headers.get("etag"),
                        last_modified=r.headers.get("last-modified"),
                        retries=attempt,
                        content_type=ctype,
                    )
                    retry_after = r.headers.get("retry-after")
            except httpx.HTTPError as exc:
                status, result, retry_after = (
                    -1,
                    _Fetched(url, -1, error=f"{type(exc).__name__}: {exc}"),
                    None,
                )
            retryable = status == -1 or status == 429 or status >= 500
            if not retryable or attempt >= self.cfg.max_retries:
                result.retries = attempt
                if status == -1 and not result.error:
                    result.error = "transport error"
                return result
            attempt += 1
            wait = self.cfg.backoff_s * (2 ** (attempt - 1))
            if retry_after and retry_after.isdigit():
                wait = max(wait, min(float(retry_after), 30.0))
            time.sleep(wait)

    def run(self) -> CrawlResult:
        cfg = self.cfg
        result = CrawlResult()
        t0 = time.perf_counter()
        now = time.time()
        start = normalize_url(cfg.start_url)
        seen: set[str] = {start}
        queue: deque[str] = deque([start])
        hashes: dict[str, str] = {}
        crawled_ok: set[str] = set()
        with httpx.Client(
            headers={"User-Agent": cfg.user_agent},
            timeout=cfg.timeout_s,
            follow_redirects=True,
            limits=httpx.Limits(max_connections=cfg.concurrency),
        ) as client:
            polite = _Politeness(client, cfg)
            sitemap: deque[str] = deque()
            if cfg.use_sitemap:
                for sm in polite.sitemaps:
                    sitemap.extend(normalize_url(u) for u in _sitemap_urls(client, sm))
            with ThreadPoolExecutor(max_workers=cfg.concurrency, thread_name_prefix="crawl") as pool:
                while queue or sitemap:
                    if cfg.max_pages is not None and len(crawled_ok) >= cfg.max_pages:
                        result.truncated = True
                        break
                    while not queue and sitemap:
                        u = sitemap.popleft()
                        if u not in seen and self.in_scope(u):
                            seen.add(u)
                            queue.append(u)
                    budget = cfg.concurrency
                    if cfg.max_pages is not None:
                        budget = min(budget, cfg.max_pages - len(crawled_ok))
                    wave: list[str] = []
                    while queue and len(wave) < budget:
                        u = queue.popleft()
                        if not polite.allowed(u):
                            result.pages_disallowed += 1
                            continue
                        wave.append(u)
                    if not wave:
                        continue
                    for fetched in pool.map(lambda u: self._fetch(client, polite, u), wave):
                        result.requests += 1 + fetched.retries
                        result.retries += fetched.retries
                        links = self._handle(fetched, result, hashes, crawled_ok, now)
                        for link in links:
                            link = normalize_url(link)
                            if link not in seen and self.in_scope(link):
                                seen.add(link)
                                queue.append(link)
        if not result.truncated and not result.pages_failed:
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
        if f.final_url and f.final_url != f.url and not self.in_scope(f.final_url):
            result.pages_failed += 1
            result.errors.append((f.url, f"redirected out of scope to {f.final_url}"))
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


def crawl(cfg: CrawlConfig, *, on_page: Callable[[str, str], None] | None = None) -> CrawlResult:
    """Crawl with the persistent state of ``cfg.source`` (under ``<data_dir>/crawl``)."""
    from crawlers.state import state_path

    with CrawlState(state_path(cfg.source)) as state:
        return Crawler(cfg, state, on_page=on_page).run()
