"""The crawler's SSRF and robots-bypass guards, against real HTTP servers on loopback.

Each test is a regression test: the crawler used to follow redirects anywhere
(and into ``Disallow``-ed paths), fetch ``Sitemap:`` URLs on any host, buffer
robots.txt and sitemaps whole, obey any Crawl-delay, and count only successful
pages against its limits.
"""

from __future__ import annotations

import itertools
import socket
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

from http_routes import Route, RouteServer

from crawlers.config import CrawlConfig
from crawlers.crawler import Crawler, crawl
from crawlers.state import CrawlState

Start = Callable[[dict[str, Route]], RouteServer]


def page(title: str, *links: str) -> Route:
    anchors = "".join(f'<a href="{href}">{href}</a> ' for href in links)
    return Route(body=f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{title} text.</p>"
                 f"{anchors}</body></html>".encode())  # fmt: skip


def robots(text: str) -> Route:
    return Route(body=text.encode(), content_type="text/plain")


def urlset(urls: list[str]) -> Route:
    rows = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'
    return Route(body=body.encode(), content_type="application/xml")


def titles(result) -> set[str]:
    return {d.title for d in result.documents}


def test_redirect_to_another_loopback_port_is_never_requested(http_server: Start, tmp_path: Path) -> None:
    internal = http_server({"/admin": page("Internal admin")})
    site = http_server(
        {
            "/robots.txt": robots("User-agent: *\nAllow: /\n"),
            "/index.html": page("Home", "go.html", "ok.html"),
            "/go.html": Route(302, headers={"Location": internal.url + "admin"}),
            "/ok.html": page("Ok"),
        }
    )
    result = crawl(CrawlConfig(start_url=site.url + "index.html", source="redir-port"), data_dir=tmp_path)
    assert internal.total_hits == 0
    assert titles(result) == {"Home", "Ok"}
    assert result.refused == {"out_of_scope": 1}
    url, reason, detail = result.refusals[0]
    assert url == site.url + "go.html" and reason == "out_of_scope" and internal.url in detail
    assert result.summary()["refused_out_of_scope"] == 1 and not result.errors


def test_redirect_into_disallowed_path_is_not_fetched_or_indexed(http_server: Start, tmp_path: Path) -> None:
    site = http_server(
        {
            "/robots.txt": robots("User-agent: *\nDisallow: /private/\n"),
            "/index.html": page("Home", "moved.html"),
            "/moved.html": Route(301, headers={"Location": "/private/secret.html"}),
            "/private/secret.html": page("Secret"),
        }
    )
    result = crawl(CrawlConfig(start_url=site.url + "index.html", source="redir-robots"), data_dir=tmp_path)
    assert site.hits["/moved.html"] == 1 and site.hits["/private/secret.html"] == 0
    assert titles(result) == {"Home"}
    assert result.refused == {"disallowed": 1} and result.pages_disallowed == 1


def test_redirect_chains_are_bounded(http_server: Start, tmp_path: Path) -> None:
    site = http_server(
        {
            "/index.html": page("Home", "loop.html"),
            "/loop.html": Route(302, headers={"Location": "/loop.html"}),
        }
    )
    result = crawl(
        CrawlConfig(start_url=site.url + "index.html", source="redir-loop", max_redirects=3),
        data_dir=tmp_path,
    )
    assert site.hits["/loop.html"] == 4  # the first request and 3 redirects
    assert result.refused == {"too_many_redirects": 1}


def test_sitemaps_on_other_hosts_are_never_fetched(http_server: Start, tmp_path: Path) -> None:
    other = http_server({"/sitemap.xml": urlset(["http://example.invalid/x.html"])})
    site = http_server({"/index.html": page("Home", *[f"missing-{i}.html" for i in range(100)])})
    site.routes["/robots.txt"] = robots(
        f"User-agent: *\nSitemap: {other.url}sitemap.xml\nSitemap: {site.url}idx.xml\n"
    )
    site.routes["/idx.xml"] = Route(
        body=(
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{other.url}child.xml</loc></sitemap><sitemap><loc>{site.url}pages.xml</loc></sitemap>"
            "</sitemapindex>"
        ).encode(),
        content_type="application/xml",
    )
    site.routes["/pages.xml"] = urlset([site.url + "only-in-sitemap.html"])
    site.routes["/only-in-sitemap.html"] = page("From the sitemap")
    result = crawl(CrawlConfig(start_url=site.url + "index.html", source="sitemap-host"), data_dir=tmp_path)
    assert other.total_hits == 0
    assert titles(result) == {"Home", "From the sitemap"}  # the same-host sitemaps still work
    assert result.refused == {"out_of_scope": 2}
    assert {u for u, _, _ in result.refusals} == {other.url + "sitemap.xml", other.url + "child.xml"}


def _filler(total: int, tail: bytes = b"") -> Callable[[], Iterator[bytes]]:
    def body() -> Iterator[bytes]:
        line = b"# " + b"x" * 1021 + b"\n"
        for _ in range(total // (64 * 1024)):
            yield line * 64
        yield tail

    return body


def test_oversized_robots_txt_is_capped_and_memory_bounded(http_server: Start, tmp_path: Path) -> None:
    head = b"User-agent: *\nDisallow: /private/\n"
    body = _filler(32 * 1024 * 1024, tail=b"User-agent: *\nDisallow: /\n")  # a rule past the cap is ignored
    site = http_server(
        {
            "/robots.txt": Route(body=lambda: itertools.chain([head], body()), content_type="text/plain"),
            "/index.html": page("Home", "guide.html", "private/x.html"),
            "/guide.html": page("Guide"),
            "/private/x.html": page("Private"),
        }
    )
    tracemalloc.start()
    try:
        result = crawl(
            CrawlConfig(start_url=site.url + "index.html", source="big-robots", use_sitemap=False),
            data_dir=tmp_path,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert titles(result) == {"Home", "Guide"} and site.hits["/private/x.html"] == 0
    assert result.robots_truncated and result.summary()["robots_truncated"] is True
    assert "/robots.txt" not in site.completed  # the crawler stopped reading at the cap
    print(f"robots.txt crawl peak {peak / 2**20:.1f} MiB")
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB for a 32 MiB robots.txt"


def _big_sitemap(base: str, n: int) -> Callable[[], Iterator[bytes]]:
    def body() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        for start in range(0, n, 1000):
            yield "".join(
                f"<url><loc>{base}elsewhere/p{i}.html</loc></url>" for i in range(start, start + 1000)
            ).encode()
        yield b"</urlset>"

    return body


def test_huge_sitemap_is_capped_by_urls_and_memory_stays_bounded(http_server: Start, tmp_path: Path) -> None:
    site = http_server({"/docs/index.html": page("Home")})
    site.routes["/sitemap.xml"] = Route(body=_big_sitemap(site.url, 300_000), content_type="application/xml")
    assert CrawlConfig(start_url=site.url).sitemap_max_urls == 50_000  # the default; smaller here for speed
    cfg = CrawlConfig(start_url=site.url + "docs/index.html", source="big-sitemap", sitemap_max_urls=10_000)
    tracemalloc.start()
    try:
        result = crawl(cfg, data_dir=tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert titles(result) == {"Home"}
    assert result.refused == {"sitemap_limit": 1} and "10000 URLs" in result.refusals[0][2]
    assert result.truncated  # discovery was cut short, so nothing may be declared gone
    assert "/sitemap.xml" not in site.completed  # ~17 MB on offer, reading stopped early
    print(f"sitemap crawl peak {peak / 2**20:.1f} MiB")
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB for a 300k-URL sitemap"


def test_sitemap_byte_cap(http_server: Start, tmp_path: Path) -> None:
    site = http_server({"/docs/index.html": page("Home")})
    site.routes["/sitemap.xml"] = Route(body=_big_sitemap(site.url, 300_000), content_type="application/xml")
    cfg = CrawlConfig(
        start_url=site.url + "docs/index.html", source="sitemap-bytes", sitemap_max_bytes=64 * 1024
    )
    result = crawl(cfg, data_dir=tmp_path)
    assert result.refused == {"too_large": 1} and result.truncated
    assert "/sitemap.xml" not in site.completed


def test_many_404s_honour_max_requests_and_crawl_delay_is_capped(http_server: Start, tmp_path: Path) -> None:
    site = http_server({"/index.html": page("Home", *[f"missing-{i}.html" for i in range(100)])})
    site.routes["/robots.txt"] = robots(
        f"User-agent: *\nCrawl-delay: 100000\nSitemap: {site.url}sitemap.xml\n"
    )
    site.routes["/sitemap.xml"] = urlset([f"{site.url}gone-{i}.html" for i in range(300)])
    cfg = CrawlConfig(
        start_url=site.url + "index.html", source="many-404", max_requests=25, max_crawl_delay_s=0.02
    )
    t0 = time.monotonic()
    result = crawl(cfg, data_dir=tmp_path)
    elapsed = time.monotonic() - t0
    assert elapsed < 10, f"took {elapsed:.1f}s"
    assert result.requests == 25 == site.total_hits  # robots.txt and the sitemap count too
    assert result.truncated and result.refused.get("request_budget", 0) >= 1
    assert titles(result) == {"Home"} and not result.gone_urls


def test_page_over_max_bytes_is_refused(http_server: Start, tmp_path: Path) -> None:
    big = b"<html><body><h1>Big</h1><p>" + b"x" * 200_000 + b"</p></body></html>"
    site = http_server(
        {
            "/index.html": page("Home", "declared.html", "streamed.html"),
            "/declared.html": Route(body=big),  # Content-Length says it all: refused before reading
            "/streamed.html": Route(body=lambda: iter([big[i : i + 8192] for i in range(0, len(big), 8192)])),
        }
    )
    result = crawl(
        CrawlConfig(start_url=site.url + "index.html", source="big-page", max_bytes=50_000), data_dir=tmp_path
    )
    assert titles(result) == {"Home"}
    assert result.refused == {"too_large": 2} and result.pages_failed == 0


def _resolve_to(mapping: dict[str, str]) -> Callable[[str, int], list[tuple]]:
    def resolver(host: str, port: int) -> list[tuple]:
        if host not in mapping:
            raise socket.gaierror(f"unknown host {host}")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (mapping[host], port))]

    return resolver


def test_host_resolving_to_loopback_is_blocked_unless_it_is_the_seed(
    http_server: Start, tmp_path: Path
) -> None:
    site = http_server({"/index.html": page("Home", "a.html"), "/a.html": page("A")})
    start = f"http://docs.test:{site.port}/index.html"
    resolver = _resolve_to({"docs.test": "127.0.0.1"})
    with CrawlState(tmp_path / "strict.sqlite") as state:
        strict = Crawler(CrawlConfig(start_url=start, allow_private=()), state, resolver=resolver).run()
    assert site.total_hits == 0 and not strict.documents
    assert set(strict.refused) == {"blocked_address"}
    assert "127.0.0.1 (loopback)" in strict.refusals[0][2]

    with CrawlState(tmp_path / "seed.sqlite") as state:
        seeded = Crawler(CrawlConfig(start_url=start), state, resolver=resolver).run()
    assert titles(seeded) == {"Home", "A"} and not seeded.refused  # connected to the pinned 127.0.0.1
