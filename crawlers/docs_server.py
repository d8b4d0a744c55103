"""Serve a static HTML tree on loopback, the way the platform publishes the Python docs.

The crawler is written against HTTP (robots.txt, sitemaps, ETag/Last-Modified,
404s) rather than the filesystem so the same code crawls a real docs site in
prod. The Debian python3.11-doc tree has neither ``robots.txt`` nor
``sitemap.xml`` and lives on a read-only path, so both are generated in memory
when absent. ``ThreadingHTTPServer`` gives ETag-less but Last-Modified-aware
serving (``SimpleHTTPRequestHandler`` answers ``If-Modified-Since`` with 304).
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

PYTHON_DOCS_DIR = Path("/usr/share/doc/python3.11/html")


def default_docs_root() -> Path:
    """The installed Python documentation (Debian package ``python3.11-doc``)."""
    return PYTHON_DOCS_DIR


def build_sitemap(root: Path, base_url: str) -> str:
    """sitemap.xml listing every ``*.html`` under ``root`` (sorted, with lastmod)."""
    base = base_url.rstrip("/")
    rows = []
    for path in sorted(root.rglob("*.html")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("_", ".")) or "/_" in rel:
            continue
        lastmod = formatdate(path.stat().st_mtime, usegmt=True)
        rows.append(f"  <url><loc>{escape(f'{base}/{rel}')}</loc><lastmod>{escape(lastmod)}</lastmod></url>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(rows) + "\n</urlset>\n"
    )


def build_robots(base_url: str) -> str:
    """Keeps crawlers out of the raw reST sources and static assets, and points at the sitemap."""
    return (
        "User-agent: *\nDisallow: /_sources/\nDisallow: /_static/\nDisallow: /_images/\n"
        f"Sitemap: {base_url.rstrip('/')}/sitemap.xml\n"
    )


class _Handler(SimpleHTTPRequestHandler):
    generated: dict[str, tuple[bytes, str]] = {}

    def __init__(self, *args: Any, generated: dict[str, tuple[bytes, str]], **kwargs: Any) -> None:
        self.generated = generated
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        body = self.generated.get(self.path.split("?", 1)[0])
        if body is None:
            return super().do_GET()
        data, ctype = body
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet server
        return


@dataclass
class DocsServer:
    """A running server; ``url`` is its base URL. Use as a context manager or call ``stop()``."""

    root: Path
    host: str
    port: int
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> DocsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_docs_server(root: Path | None = None, *, port: int, host: str = "127.0.0.1") -> DocsServer:
    """Serve ``root`` (default: the Python docs) on ``port`` in a daemon thread.

    The platform passes ``settings.docs_port``; ``port=0`` picks a free port (tests).
    """
    root = Path(root or default_docs_root())
    if not root.is_dir():
        raise FileNotFoundError(
            f"docs folder {root} does not exist; install the Debian package python3.11-doc or pass --root"
        )
    generated: dict[str, tuple[bytes, str]] = {}
    handler = functools.partial(_Handler, directory=str(root), generated=generated)
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    actual_port = server.server_address[1]
    base = f"http://{host}:{actual_port}/"
    if not (root / "robots.txt").exists():
        generated["/robots.txt"] = (build_robots(base).encode(), "text/plain; charset=utf-8")
    if not (root / "sitemap.xml").exists():
        generated["/sitemap.xml"] = (build_sitemap(root, base).encode(), "application/xml")
    thread = threading.Thread(target=server.serve_forever, name=f"docs-server-{actual_port}", daemon=True)
    thread.start()
    return DocsServer(root=root, host=host, port=actual_port, _server=server, _thread=thread)


def ensure_docs_server(port: int) -> tuple[str, DocsServer | None]:
    """Base URL of the Python docs on ``port`` (``settings.docs_port``), starting a server if none runs.

    Indexed URLs must be stable across runs (they are the links learners click and
    the key of incremental indexing), so this never falls back to a random port: if
    the port is taken by a docs server (``suuupra crawl serve``) it is reused,
    otherwise the error names the setting to change. The caller stops the returned
    server (``None`` when an existing one was reused).
    """
    import httpx

    try:
        server = start_docs_server(port=port)
        return server.url, server
    except OSError:
        base = f"http://127.0.0.1:{port}/"
        try:
            ok = httpx.get(base + "robots.txt", timeout=2).status_code == 200
        except httpx.HTTPError:
            ok = False
        if ok:
            return base, None
        raise OSError(
            f"port {port} is in use by something that is not a docs server; set SUUUPRA_DOCS_PORT to a free port"
        ) from None
