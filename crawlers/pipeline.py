"""Crawl a site and bring the search index up to date, in one call.

This is what the CLI (``suuupra crawl run``, ``suuupra index rebuild``) runs. It
is the one place that composes the crawler with the indexer: ``crawlers`` builds
on ``rag`` (documents, extraction, indexing) and ``rag`` never imports
``crawlers``. The index update is incremental: unchanged pages are skipped by
content hash, changed pages are re-chunked, disappeared pages are deleted.
``rebuild=True`` instead builds a fresh collection and swaps the alias
(blue/green), e.g. after changing the chunker or the embedding model.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawlers.crawler import CrawlConfig, CrawlResult, crawl

if TYPE_CHECKING:
    from rag.index import IndexStats
    from suuupra.settings import Settings


@dataclass
class CrawlIndexReport:
    crawl: CrawlResult
    index: IndexStats | None = None
    snapshot_path: Path | None = None
    base_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def write_snapshot(result: CrawlResult, source: str, *, tables_dir: Path) -> Path:
    """Atomically write the crawled documents as JSONL into the lake (for Spark/analytics).

    The file is ``<tables_dir>/crawl_pages/source=<source>/pages.jsonl``.
    """
    out_dir = tables_dir / "crawl_pages" / f"source={source}"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "pages.jsonl"
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".pages-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        for doc in result.documents:
            row = doc.to_dict()
            row["text_chars"] = sum(len(s["text"]) for s in row["sections"])
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, target)
    return target


def crawl_and_index(
    cfg: CrawlConfig,
    settings: Settings,
    *,
    rebuild: bool = False,
    progress: bool = False,
    on_page: Callable[[str, str], None] | None = None,
) -> CrawlIndexReport:
    """Crawl ``cfg`` then upsert changed pages / delete gone pages in the search index of ``settings``."""
    from rag.index import delete_documents, index_documents, rebuild_index
    from rag.store import StoreLocation

    store = StoreLocation.from_settings(settings)
    result = crawl(cfg, data_dir=settings.data_dir, on_page=on_page)
    snapshot = write_snapshot(result, cfg.source, tables_dir=settings.tables_dir)
    if rebuild:
        stats = rebuild_index(result.documents, store=store, progress=progress)
    else:
        if result.gone_doc_ids:
            delete_documents(result.gone_doc_ids, store=store)
        stats = index_documents(result.documents, store=store, progress=progress)
    return CrawlIndexReport(crawl=result, index=stats, snapshot_path=snapshot, base_url=cfg.start_url)


def crawl_python_docs(
    settings: Settings,
    *,
    max_pages: int | None = None,
    start_path: str = "index.html",
    base_url: str | None = None,
    rebuild: bool = False,
    progress: bool = False,
    concurrency: int = 4,
    on_page: Callable[[str, str], None] | None = None,
) -> CrawlIndexReport:
    """Crawl the Python docs served on loopback (starting the docs server on
    ``settings.docs_port`` if no ``base_url``)."""
    from crawlers.docs_server import ensure_docs_server

    server = None
    if base_url is None:
        base_url, server = ensure_docs_server(settings.docs_port)
    try:
        cfg = CrawlConfig(
            start_url=base_url.rstrip("/") + "/" + start_path.lstrip("/"),
            scope=base_url.rstrip("/") + "/",
            source="python-docs",
            max_pages=max_pages,
            concurrency=concurrency,
        )
        return crawl_and_index(cfg, settings, rebuild=rebuild, progress=progress, on_page=on_page)
    finally:
        if server is not None:
            server.stop()


def rebuild_from_crawl(settings: Settings, source: str, *, progress: bool = False) -> IndexStats:
    """Re-chunk and re-embed every page the crawl state of ``source`` holds into a fresh collection.

    Raises ``FileNotFoundError`` (naming the fix) when ``source`` was never crawled.
    """
    from crawlers.state import CrawlState, state_path
    from rag.index import rebuild_index
    from rag.store import StoreLocation

    path = state_path(settings.data_dir, source)
    if not path.exists():
        raise FileNotFoundError(f"no crawl state for source {source!r}; run `suuupra crawl run` first")
    with CrawlState(path) as st:
        docs = st.documents()
    return rebuild_index(docs, store=StoreLocation.from_settings(settings), progress=progress)
