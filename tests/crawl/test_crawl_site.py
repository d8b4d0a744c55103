from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawlers.crawler import CrawlConfig, Crawler, crawl, normalize_url
from crawlers.state import CrawlState


def _paths(result) -> set[str]:
    return {d.url.split("/", 3)[3] for d in result.documents}


def test_crawl_respects_robots_scope_noindex_and_dedup(site, tmp_path: Path) -> None:
    _, base = site
    result = crawl(
        CrawlConfig(start_url=base + "index.html", source="test-site", exclude=()), data_dir=tmp_path
    )
    assert _paths(result) == {
        "index.html",
        "guide/a.html",
        "guide/b.html",
        "guide/c.html",
        "guide/orphan-linked.html",  # links of a noindex page are still followed
        "guide/sitemap-only.html",  # discovered only through sitemap.xml
    }
    assert result.pages_duplicate == 1  # copy-of-a has the same content as a
    assert result.pages_noindex == 1
    assert result.pages_disallowed == 1  # /private/ is in robots.txt
    assert result.pages_failed == 0  # the broken link is a 404: gone, not an error
    assert not result.truncated
    a = next(d for d in result.documents if d.url.endswith("guide/a.html"))
    assert a.tags == ["guide"] and a.source == "test-site"
    assert [s.anchor for s in a.sections] == ["alpha", "details"]
    assert all("navigation text" not in s.text and "footer" not in s.text for s in a.sections)


def test_max_pages_is_a_deterministic_prefix(site, tmp_path: Path) -> None:
    _, base = site
    first = crawl(
        CrawlConfig(start_url=base + "index.html", source="t1", max_pages=3, concurrency=3), data_dir=tmp_path
    )
    second = crawl(
        CrawlConfig(start_url=base + "index.html", source="t2", max_pages=3, concurrency=1), data_dir=tmp_path
    )
    assert first.truncated and first.pages_fetched == 3
    assert _paths(first) == _paths(second)
    assert "index.html" in _paths(first)


def test_recrawl_is_incremental_and_detects_changes_and_deletions(site, tmp_path: Path) -> None:
    root, base = site
    cfg = CrawlConfig(start_url=base + "index.html", source="inc")
    first = crawl(cfg, data_dir=tmp_path)
    assert first.pages_new == len(first.documents)  # the duplicate URL is not "new content"

    again = crawl(cfg, data_dir=tmp_path)
    assert again.pages_new == 0 and again.pages_changed == 0
    assert again.pages_unchanged == first.pages_fetched - first.pages_noindex
    assert {d.doc_id for d in again.documents} == {d.doc_id for d in first.documents}

    b = root / "guide" / "b.html"
    b.write_text(b.read_text().replace("context managers", "the with statement"))
    future = time.time() + 10
    os.utime(b, (future, future))
    (root / "guide" / "c.html").unlink()
    third = crawl(cfg, data_dir=tmp_path)
    assert third.pages_changed == 1
    changed = next(d for d in third.documents if d.url.endswith("guide/b.html"))
    assert changed.doc_id in third.changed_doc_ids
    assert "the with statement" in changed.sections[0].text
    assert [u.rsplit("/", 1)[-1] for u in third.gone_urls] == ["c.html"]


def test_out_of_scope_start_path_limits_crawl(site, tmp_path: Path) -> None:
    _, base = site
    result = crawl(
        CrawlConfig(start_url=base + "guide/b.html", source="scoped", use_sitemap=False), data_dir=tmp_path
    )
    assert _paths(result) == {"guide/b.html", "guide/c.html"}


class _Flaky(BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def do_GET(self) -> None:  # noqa: N802
        n = self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if self.path == "/robots.txt":
            self.send_response(404)
            self.end_headers()
            return
        if self.path == "/index.html" and n <= 2:
            self.send_response(503 if n == 1 else 429)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        if self.path == "/down.html":
            self.send_response(500)
            self.end_headers()
            return
        body = b'<html><body><h1>Ok</h1><p>fine</p><a href="down.html">d</a></body></html>'
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        return


def test_retries_with_backoff_then_reports_persistent_failures(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        cfg = CrawlConfig(start_url=base + "index.html", source="flaky", backoff_s=0.01, max_retries=2)
        result = crawl(cfg, data_dir=tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert [d.title for d in result.documents] == ["Ok"]
    assert _Flaky.hits["/index.html"] == 3  # 503, 429, then 200
    assert _Flaky.hits["/down.html"] == 3  # first try + 2 retries, then give up
    assert result.pages_failed == 1 and result.errors[0][1] == "HTTP 500"
    assert result.retries == 4


def test_config_validation_and_url_normalisation(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="absolute http"):
        CrawlConfig(start_url="/relative")
    with pytest.raises(ValueError, match="max_pages"):
        CrawlConfig(start_url="http://h/", max_pages=0)
    assert (
        normalize_url("HTTP://Example.COM:80/a/b.html?z=1&a=2#frag") == "http://example.com/a/b.html?a=2&z=1"
    )
    with CrawlState(tmp_path / "s.sqlite") as st:
        crawler = Crawler(CrawlConfig(start_url="http://h/docs/index.html"), st)
        assert crawler.in_scope("http://h/docs/x.html")
        assert not crawler.in_scope("http://h/other/x.html")
        assert not crawler.in_scope("http://h/docs/genindex-A.html")
        assert not crawler.in_scope("http://h/docs/img.png")
