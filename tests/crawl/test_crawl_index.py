"""Crawl -> index: the composition that lives in ``crawlers`` (``rag`` never imports the crawler)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture()
def platform(tmp_path: Path):
    """Settings of an isolated local platform, passed as a value (no environment)."""
    from suuupra.settings import load_settings

    d = tmp_path / "platform"
    d.mkdir()
    return load_settings(data_dir=d, profile="local", qdrant_url=None)


def test_crawl_and_index_then_rebuild_from_the_crawl_state(site, platform) -> None:
    from crawlers.crawler import CrawlConfig
    from crawlers.pipeline import crawl_and_index, rebuild_from_crawl
    from rag import StoreLocation, search
    from rag.index import index_status
    from rag.store import close_clients

    _, base = site
    store = StoreLocation.from_settings(platform)
    try:
        cfg = CrawlConfig(start_url=base + "index.html", source="site", exclude=())
        report = crawl_and_index(cfg, platform)
        assert report.index is not None and report.index.documents_indexed == len(report.crawl.documents) > 3
        assert report.snapshot_path == platform.tables_dir / "crawl_pages" / "source=site" / "pages.jsonl"
        assert (platform.data_dir / "crawl" / "site.sqlite").exists()
        hits = search("yield values lazily", k=1, store=store)
        assert hits and hits[0].url.startswith(base + "guide/")

        before = index_status(store)["collection"]
        stats = rebuild_from_crawl(platform, "site")
        assert stats.collection != before and index_status(store)["collection"] == stats.collection
        with pytest.raises(FileNotFoundError, match="run `suuupra crawl run` first"):
            rebuild_from_crawl(platform, "never-crawled")
    finally:
        close_clients(store)


def test_index_group_adds_rebuild_to_the_search_commands() -> None:
    from typer.testing import CliRunner

    from cli.crawl_cmd import index_app
    from suuupra.errors import CLIError

    names = {c.name for c in index_app.registered_commands}
    assert names == {"status", "add", "rebuild"}
    result = CliRunner().invoke(index_app, ["rebuild", "--source", "never-crawled"])
    assert isinstance(result.exception, CLIError)
    assert "no crawl state for source 'never-crawled'" in str(result.exception)


def test_rag_does_not_import_the_crawler() -> None:
    """One direction only: crawlers builds on rag."""
    code = (
        "import sys, importlib, pkgutil, rag, rag.tutor\n"
        "skip = ('rag.llm',)\n"
        "for pkg in (rag, rag.tutor):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if not m.name.startswith(skip):\n"
        "            importlib.import_module(m.name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('crawlers', 'apps_api')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
