"""A tiny local website served over real HTTP for crawler tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from http_routes import Route, RouteServer

PAGE = """<!doctype html><html><head><title>{title} | Site</title>{head}</head><body>
<nav><a href="/index.html">Home</a> navigation text that must not be indexed</nav>
<div role="main"><section id="{slug}"><h1>{title}<a class="headerlink" href="#{slug}">¶</a></h1>
{body}</section></div>
<footer>footer boilerplate</footer></body></html>"""


def write_page(root: Path, rel: str, title: str, body: str, head: str = "") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    slug = title.lower().replace(" ", "-")
    path.write_text(PAGE.format(title=title, slug=slug, body=body, head=head), encoding="utf-8")
    return path


def build_site(root: Path) -> Path:
    """index -> guide/a, guide/b, (dup of a), noindex page, private page, external link, broken link."""
    write_page(
        root,
        "index.html",
        "Home",
        '<p>Welcome.</p><ul><li><a href="guide/a.html">A</a></li><li><a href="guide/b.html#part">B</a></li>'
        '<li><a href="guide/copy-of-a.html">copy</a></li><li><a href="hidden.html">hidden</a></li>'
        '<li><a href="private/secret.html">secret</a></li><li><a href="http://example.invalid/x.html">ext</a></li>'
        '<li><a href="missing.html">broken</a></li><li><a href="logo.png">img</a></li></ul>',
    )
    a_body = (
        "<p>Alpha page explains generators.</p>"
        '<section id="details"><h2>Details</h2><p>Generators yield values lazily.</p>'
        "<pre>def gen():\n    yield 1\n</pre></section>"
    )
    write_page(root, "guide/a.html", "Alpha", a_body)
    write_page(root, "guide/copy-of-a.html", "Alpha", a_body)
    write_page(
        root, "guide/b.html", "Beta", '<p>Beta covers context managers.</p><p><a href="c.html">next</a></p>'
    )
    write_page(root, "guide/c.html", "Gamma", "<p>Gamma is about decorators.</p>")
    write_page(
        root,
        "hidden.html",
        "Hidden",
        '<p>Not for the index.</p><a href="guide/orphan-linked.html">x</a>',
        head='<meta name="robots" content="noindex">',
    )
    write_page(
        root, "guide/orphan-linked.html", "Linked from noindex", "<p>Reachable through a noindex page.</p>"
    )
    write_page(root, "private/secret.html", "Secret", "<p>robots.txt forbids this.</p>")
    write_page(root, "guide/sitemap-only.html", "Sitemap only", "<p>Only the sitemap knows this page.</p>")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    return root


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    from crawlers.docs_server import start_docs_server

    root = build_site(tmp_path / "site")
    with start_docs_server(root, port=0) as server:
        yield root, server.url


@pytest.fixture()
def http_server() -> Iterator[Callable[[dict[str, Route]], RouteServer]]:
    """Factory of :class:`RouteServer` s, all shut down after the test."""
    servers: list[RouteServer] = []

    def start(routes: dict[str, Route]) -> RouteServer:
        server = RouteServer(routes)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
