"""``suuupra crawl`` (crawl documentation sites into the search index) and ``suuupra index``.

Command functions are the edge: they read the process settings once and pass
them down. ``index_app`` is the search index group with ``rebuild`` added,
because rebuilding from a crawl needs the crawl state and only ``crawlers`` may
combine the crawler with ``rag`` (never the reverse).
"""

from __future__ import annotations

import typer

from cli import search_cmd as rag_cli
from suuupra.errors import CLIError

app = typer.Typer(
    help="Crawl documentation (the Python docs by default) into the search index.", no_args_is_help=True
)
index_app = typer.Typer(help=rag_cli.INDEX_HELP, no_args_is_help=True)


def _settings():
    from suuupra.settings import get_settings

    return get_settings()


@app.command("run")
def run(
    max_pages: int | None = typer.Option(
        None, "--max-pages", min=1, help="Stop after this many pages (default: all)."
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", help="Crawl this already-running site instead of serving the Python docs locally."
    ),
    start_path: str = typer.Option(
        "index.html", "--start-path", help="Page to start from, relative to the base URL."
    ),
    rebuild: bool = typer.Option(False, "--rebuild", help="Build a fresh collection and swap the alias."),
    index: bool = typer.Option(True, "--index/--no-index", help="Update the search index after crawling."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, max=32, help="Parallel requests."),
    source: str = typer.Option("python-docs", "--source", help="Source name (with --base-url)."),
    course_id: str = typer.Option(
        "", "--course-id", help="Course id to attach to every page (with --base-url)."
    ),
) -> None:
    """Crawl (politely, incrementally) and update the search index."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from crawlers.crawler import CrawlConfig, crawl
    from crawlers.pipeline import crawl_and_index, crawl_python_docs, write_snapshot
    from suuupra.errors import ServiceUnavailable

    settings = _settings()
    console = Console()
    with Progress(
        TextColumn("crawling"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        TimeElapsedColumn(), console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("", total=max_pages)

        def on_page(url: str, what: str) -> None:
            bar.update(task, advance=1, description=f"{what}: {url.rsplit('/', 1)[-1][:40]}")

        try:
            if base_url is None:
                if not index:
                    raise CLIError(
                        "--no-index needs --base-url (the local docs are only served for a crawl+index)"
                    )
                report = crawl_python_docs(
                    settings, max_pages=max_pages, start_path=start_path, rebuild=rebuild,
                    concurrency=concurrency, on_page=on_page, progress=True,
                )  # fmt: skip
                result, stats = report.crawl, report.index
            else:
                cfg = CrawlConfig(
                    start_url=base_url.rstrip("/") + "/" + start_path.lstrip("/"),
                    scope=base_url.rstrip("/") + "/",
                    source=source, course_id=course_id, max_pages=max_pages, concurrency=concurrency,
                )  # fmt: skip
                if index:
                    report = crawl_and_index(cfg, settings, rebuild=rebuild, on_page=on_page, progress=True)
                    result, stats = report.crawl, report.index
                else:
                    result, stats = crawl(cfg, data_dir=settings.data_dir, on_page=on_page), None
                    write_snapshot(result, source, tables_dir=settings.tables_dir)
        except (ValueError, OSError, ServiceUnavailable) as exc:
            raise CLIError(str(exc)) from None
    table = Table(title="crawl")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.summary().items():
        table.add_row(key, str(value))
    if stats is not None:
        for key in (
            "collection",
            "documents_indexed",
            "documents_unchanged",
            "chunks_upserted",
            "points_total",
        ):
            table.add_row(f"index.{key}", str(getattr(stats, key)))
    console.print(table)
    for url, err in result.errors[:10]:
        console.print(f"[yellow]failed[/] {escape(url)}: {escape(err)}")
    for url, reason, detail in result.refusals[:10]:  # e.g. a redirect to an internal address
        console.print(f"[yellow]refused[/] ({reason}) {escape(url)}: {escape(detail)}")


@app.command("serve")
def serve(
    port: int | None = typer.Option(None, "--port", help="Port (default: settings.docs_port)."),
    root: str | None = typer.Option(None, "--root", help="Folder to serve (default: the Python docs)."),
) -> None:
    """Serve the Python docs on 127.0.0.1 (with generated robots.txt and sitemap.xml) until Ctrl-C."""
    from pathlib import Path

    from cli.foreground import run_until_interrupted
    from crawlers.docs_server import start_docs_server

    try:
        docs_port = _settings().docs_port if port is None else port
        server = start_docs_server(Path(root) if root else None, port=docs_port)
    except (FileNotFoundError, OSError) as exc:
        raise CLIError(f"cannot serve docs: {exc}") from None
    typer.echo(f"serving {server.root} at {server.url} (Ctrl-C to stop)")
    run_until_interrupted(server.stop)


@app.command("status")
def status(source: str = typer.Option("python-docs", "--source")) -> None:
    """How many pages of a source the crawl state knows."""
    from crawlers.state import CrawlState, state_path

    path = state_path(_settings().data_dir, source)
    if not path.exists():
        raise CLIError(f"no crawl state for source {source!r}; run `suuupra crawl run` first")
    with CrawlState(path) as st:
        typer.echo(f"{source}: {len(st.live_urls())} live pages ({path})")


def rebuild(
    source: str = typer.Option("python-docs", "--source", help="Crawl state to rebuild from."),
) -> None:
    """Re-chunk and re-embed every crawled page into a fresh collection, then swap the alias."""
    from crawlers.pipeline import rebuild_from_crawl
    from suuupra.errors import ServiceUnavailable

    try:
        stats = rebuild_from_crawl(_settings(), source, progress=True)
    except (FileNotFoundError, ServiceUnavailable) as exc:
        raise CLIError(str(exc)) from None
    typer.echo(f"rebuilt {stats.collection}: {stats.documents_indexed} pages, {stats.chunks_upserted} chunks")


index_app.command("status")(rag_cli.status)
index_app.command("rebuild")(rebuild)
index_app.command("add")(rag_cli.add)
