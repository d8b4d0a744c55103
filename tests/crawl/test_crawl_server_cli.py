from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from crawlers.docs_server import PYTHON_DOCS_DIR, start_docs_server


def test_docs_server_generates_robots_and_sitemap(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("<h1>A</h1>")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.html").write_text("<h1>B</h1>")
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "x.html").write_text("asset")
    with start_docs_server(tmp_path, port=0) as server:
        robots = httpx.get(server.url + "robots.txt").text
        sitemap = httpx.get(server.url + "sitemap.xml").text
        page = httpx.get(server.url + "sub/b.html")
        cond = httpx.get(
            server.url + "sub/b.html", headers={"If-Modified-Since": page.headers["last-modified"]}
        )
    assert f"Sitemap: {server.url}sitemap.xml" in robots and "Disallow: /_static/" in robots
    assert f"<loc>{server.url}a.html</loc>" in sitemap and f"<loc>{server.url}sub/b.html</loc>" in sitemap
    assert "_static" not in sitemap
    assert page.status_code == 200 and cond.status_code == 304


def test_docs_server_missing_root_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="python3.11-doc"):
        start_docs_server(tmp_path / "nope", port=0)


def test_cli_crawl_run_against_a_site_and_status(site, data_dir: Path, capsys) -> None:
    from cli.app import main

    _, base = site
    with pytest.raises(SystemExit) as exc:
        main(["crawl", "run", "--base-url", base, "--no-index", "--max-pages", "2", "--source", "cli-site"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "pages_fetched" in out and "truncated" in out
    with pytest.raises(SystemExit) as exc:
        main(["crawl", "status", "--source", "cli-site"])
    assert exc.value.code == 0
    assert "cli-site: 2 live pages" in capsys.readouterr().out
    snapshot = data_dir / "lake" / "tables" / "crawl_pages" / "source=cli-site" / "pages.jsonl"
    assert len(snapshot.read_text().splitlines()) == 2


def test_cli_bad_input_is_a_message_not_a_traceback(data_dir: Path, capsys) -> None:
    from cli.app import main

    with pytest.raises(SystemExit) as exc:
        main(["crawl", "status", "--source", "never-crawled"])
    assert exc.value.code == 2
    assert "run `suuupra crawl run` first" in " ".join(capsys.readouterr().err.split())


@pytest.mark.skipif(not PYTHON_DOCS_DIR.is_dir(), reason="python3.11-doc not installed")
def test_python_docs_tutorial_subset_crawl(tmp_path: Path) -> None:
    from crawlers.crawler import CrawlConfig, crawl

    with start_docs_server(port=0) as server:
        result = crawl(
            CrawlConfig(start_url=server.url + "tutorial/index.html", source="py", max_pages=6),
            data_dir=tmp_path,
        )
    assert result.pages_fetched == 6 and result.truncated and not result.errors
    assert all("/tutorial/" in d.url for d in result.documents)
    first = result.documents[0]
    assert first.title.startswith("The Python Tutorial")
    assert sum(len(s.text) for d in result.documents for s in d.sections) > 5_000
