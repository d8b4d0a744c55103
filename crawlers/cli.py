"""``suuupra crawl``: crawl documentation sites into the search index."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Crawl documentation (the Python docs by default) into the search index.", no_args_is_help=True
)


def _cli_error(msg: str) -> Exception:
    from suuupra.cli.app import CLIError

    return CLIError(msg)


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
                    raise _cli_error(
                        "--no-index needs --base-url (the local docs are only served for a crawl+index)"
                    )
                report = crawl_python_docs(
                    max_pages=max_pages, start_path=start_path, rebuild=rebuild, concurrency=concurrency,
                    on_page=on_page, progress=True,
                )  # fmt: skip
                result, stats = report.crawl, report.index
            else:
                cfg = CrawlConfig(
                    start_url=base_url.rstrip("/") + "/" + start_path.lstrip("/"),
                    scope=base_url.rstrip("/") + "/",
                    source=source, course_id=course_id, max_pages=max_pages, concurrency=concurrency,
                )  # fmt: skip
                if index:
                    report = crawl_and_index(cfg, rebuild=rebuild, on_page=on_page, progress=True)
                    result, stats = report.crawl, report.index
                else:
                    result, stats = crawl(cfg, on_page=on_page), None
                    write_snapshot(result, source)
        except (ValueError, OSError) as exc:
            raise _cli_error(str(exc)) from None
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
    import time
    from pathlib import Path

    from crawlers.docs_server import start_docs_server

    try:
        server = start_docs_server(Path(root) if root else None, port=port)
    except (FileNotFoundError, OSError) as exc:
        raise _cli_error(f"cannot serve docs: {exc}") from None
    typer.echo(f"serving {server.root} at {server.url} (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@app.command("status")
def status(source: str = typer.Option("python-docs", "--source")) -> None:
    """How many pages of a source the crawl state knows."""
    from crawlers.state import CrawlState, state_path

    path = state_path(source)
    if not path.exists():
        raise _cli_error(f"no crawl state for source {source!r}; run `suuupra crawl run` first")
    with CrawlState(path) as st:
        typer.echo(f"{source}: {len(st.live_urls())} live pages ({path})")
