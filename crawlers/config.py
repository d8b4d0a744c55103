"""What a crawl may do (:class:`CrawlConfig`) and what it did (:class:`CrawlResult`).

Every limit has a default, because a crawl is driven by what the remote site
says (links, redirects, robots.txt, sitemaps): without a bound on requests,
bytes, redirects and Crawl-delay, one hostile or broken site could keep a crawl
running for days, exhaust memory, or aim it at internal services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit, urlunsplit

from crawlers.fetch_guard import DISALLOWED, OUT_OF_SCOPE, Origin, origin_of
from rag.types import Document

USER_AGENT = "SuuupraBot/1.0 (+https://suuupra.example/bot; docs search indexer)"
PYTHON_DOCS_EXCLUDE = (r"/genindex", r"/search\.html$", r"/py-modindex\.html$", r"/_sources/", r"/_static/")
DEFAULT_MAX_REQUESTS = 50_000
MAX_REFUSALS_KEPT = 1_000  # refused URLs listed in the result; all are counted
# Refusals that are the site's own, stable policy: they do not make a crawl incomplete.
DELIBERATE_REFUSALS = frozenset({DISALLOWED, OUT_OF_SCOPE})


@dataclass
class CrawlConfig:
    """What to crawl and how hard. ``scope`` defaults to the start URL's directory.

    ``allow_private`` lists origins (``"http://127.0.0.1:8765"`` or ``"host:port"``)
    that may resolve to loopback/private/link-local addresses; ``None`` means the
    configured seed — the start URL's and the scope's origin — so the platform's
    own docs server on 127.0.0.1 stays crawlable while links, redirects and
    sitemaps can never reach any other internal address. Pass ``()`` to refuse
    internal addresses for the seed too (a public site, guarded against DNS
    rebinding of its own name).
    """

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
    max_bytes: int = 5_000_000  # per page; a larger page is refused ("too_large")
    use_sitemap: bool = True
    user_agent: str = USER_AGENT
    course_id: str = ""
    content_type: str = "docs"
    site_root: str | None = None  # tags are path segments below this; default: scheme://host/
    # Every request attempt counts: pages, retries, redirect hops, robots.txt, sitemaps.
    max_requests: int | None = DEFAULT_MAX_REQUESTS
    max_redirects: int = 5
    max_crawl_delay_s: float = 10.0  # robots.txt Crawl-delay above this is capped
    robots_max_bytes: int = 512 * 1024  # robots.txt is read up to here, the rest ignored (as Google does)
    sitemap_max_bytes: int = 50 * 1024 * 1024  # sitemaps.org's limit per file
    sitemap_max_urls: int = 50_000  # in all sitemaps together (sitemaps.org's limit per file)
    sitemap_max_files: int = 50
    allow_private: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.start_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"start_url must be an absolute http(s) URL, got {self.start_url!r}")
        for name in ("max_pages", "max_requests"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        if self.max_redirects < 0 or self.max_crawl_delay_s < 0:
            raise ValueError("max_redirects and max_crawl_delay_s must be >= 0")
        if self.scope is None:
            path = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
            self.scope = urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))
        if self.site_root is None:
            self.site_root = urlunsplit((parts.scheme, parts.netloc.lower(), "/", "", ""))

    def seed_origins(self) -> frozenset[tuple[str, str, int]]:
        """``(scheme, host, port)`` of the start URL and the scope: the only hosts a crawl talks to."""
        return frozenset(_scheme_origin(u) for u in (self.start_url, self.scope or self.start_url))

    def private_allowlist(self) -> frozenset[Origin]:
        """Origins allowed to resolve to internal addresses (see the class docstring)."""
        if self.allow_private is None:
            return frozenset((host, port) for _, host, port in self.seed_origins())
        return frozenset(origin_of(o) for o in self.allow_private)


def _scheme_origin(url: str) -> tuple[str, str, int]:
    return (urlsplit(url).scheme.lower(), *origin_of(url))


@dataclass
class CrawlResult:
    """Counts plus the documents to (re-)index, the pages that disappeared, and what was refused.

    ``refused`` counts every URL the crawler declined to request (or to read
    past a cap) by reason — ``out_of_scope``, ``disallowed``, ``blocked_address``,
    ``too_large``, ``too_many_redirects``, ``request_budget``, ``sitemap_limit`` —
    and ``refusals`` lists the first :data:`MAX_REFUSALS_KEPT` as (url, reason, detail).
    ``truncated`` means a limit cut the crawl short (``max_pages``, ``max_requests``
    or a sitemap limit), so pages it did not reach are not declared gone.
    """

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
    robots_truncated: bool = False
    elapsed_s: float = 0.0
    documents: list[Document] = field(default_factory=list)
    changed_doc_ids: list[str] = field(default_factory=list)
    gone_urls: list[str] = field(default_factory=list)
    gone_doc_ids: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    refusals: list[tuple[str, str, str]] = field(default_factory=list)

    def refuse(self, url: str, reason: str, detail: str = "") -> None:
        self.refused[reason] = self.refused.get(reason, 0) + 1
        if len(self.refusals) < MAX_REFUSALS_KEPT:
            self.refusals.append((url, reason, detail))

    @property
    def complete(self) -> bool:
        """Whether the crawl saw the whole site, so pages it did not reach are really gone."""
        return not (self.truncated or self.pages_failed or set(self.refused) - DELIBERATE_REFUSALS)

    def summary(self) -> dict[str, float | int | bool]:
        keys = (
            "pages_fetched", "pages_new", "pages_changed", "pages_unchanged", "pages_failed", "pages_disallowed",
            "pages_duplicate", "pages_noindex", "requests", "retries", "truncated", "robots_truncated",
            "elapsed_s",
        )  # fmt: skip
        out: dict[str, float | int | bool] = {k: getattr(self, k) for k in keys}
        out["documents"] = len(self.documents)
        out["pages_gone"] = len(self.gone_urls)
        out["refused"] = sum(self.refused.values())
        for reason, n in sorted(self.refused.items()):
            out[f"refused_{reason}"] = n
        return out


def normalize_url(url: str) -> str:
    """Canonical form used for dedup: no fragment, lower-case host, no default port, sorted query.

    Raises ``ValueError`` for a URL whose port is not a number in range.
    """
    url, _ = urldefrag(url.strip())
    p = urlsplit(url)
    host = (p.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    port = p.port
    netloc = host if port is None or (p.scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    query = "&".join(sorted(q for q in p.query.split("&") if q))
    return urlunsplit((p.scheme.lower(), netloc, p.path or "/", query, ""))
