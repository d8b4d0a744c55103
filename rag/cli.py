"""``suuupra index`` (manage the search index) and ``suuupra search`` (query it)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

index_app = typer.Typer(
    help="Manage the search index (Qdrant collection behind the `docs` alias).", no_args_is_help=True
)


def _cli_error(msg: str) -> Exception:
    from suuupra.cli.app import CLIError

    return CLIError(msg)


@index_app.command("status")
def status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Live collection and point count."""
    from rag.index import index_status
    from rag.store import SearchUnavailableError

    try:
        info = index_status()
    except SearchUnavailableError as exc:
        raise _cli_error(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(info))
    elif info["collection"] is None:
        typer.echo("no search index yet: run `suuupra crawl run` (or `suuupra index add FILE.jsonl`)")
    else:
        typer.echo(f"alias {info['alias']} -> {info['collection']}: {info['points']} chunks")


@index_app.command("rebuild")
def rebuild(
    source: str = typer.Option("python-docs", "--source", help="Crawl state to rebuild from."),
) -> None:
    """Re-chunk and re-embed every crawled page into a fresh collection, then swap the alias."""
    from crawlers.state import CrawlState, state_path
    from rag.index import rebuild_index

    path = state_path(source)
    if not path.exists():
        raise _cli_error(f"no crawl state for source {source!r}; run `suuupra crawl run` first")
    with CrawlState(path) as st:
        docs = st.documents()
    stats = rebuild_index(docs, progress=True)
    typer.echo(f"rebuilt {stats.collection}: {stats.documents_indexed} pages, {stats.chunks_upserted} chunks")


@index_app.command("add")
def add(
    path: Path = typer.Argument(
        ..., help="JSONL file, one document per line (url, title, text|sections, ...)."
    ),
) -> None:
    """Index documents from a JSONL file (incremental upsert)."""
    from rag.index import index_documents
    from rag.types import Document

    if not path.is_file():
        raise _cli_error(f"{path} is not a file")
    docs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            docs.append(Document.from_dict(json.loads(line)))
        except (ValueError, TypeError) as exc:
            raise _cli_error(f"{path}:{n}: not a valid document ({exc})") from None
    stats = index_documents(docs, progress=True)
    typer.echo(
        f"indexed {stats.documents_indexed} documents ({stats.documents_unchanged} unchanged), "
        f"{stats.chunks_upserted} chunks; {stats.points_total} chunks in {stats.collection}"
    )


def search_cmd(
    query: str = typer.Argument(..., help="What to search for (or a prefix with --suggest)."),
    k: int = typer.Option(5, "-k", "--top", min=1, max=100, help="Number of results."),
    course_id: str | None = typer.Option(None, "--course-id"),
    source: str | None = typer.Option(None, "--source"),
    content_type: str | None = typer.Option(None, "--content-type"),
    tag: list[str] = typer.Option([], "--tag", help="Only chunks with any of these tags (repeatable)."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid | dense | bm25"),
    suggest: bool = typer.Option(False, "--suggest", help="Autocomplete the query as a prefix instead."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Search the indexed documentation (hybrid dense + BM25)."""
    from rich.console import Console
    from rich.table import Table

    from rag.retrieval import InvalidQueryError, search
    from rag.store import SearchUnavailableError
    from rag.suggest import autocomplete

    if mode not in ("hybrid", "dense", "bm25"):
        raise _cli_error("--mode must be one of hybrid, dense, bm25")
    try:
        if suggest:
            out = autocomplete(query, k=k)
            typer.echo(json.dumps(out) if as_json else "\n".join(out))
            return
        filters = {
            "course_id": course_id,
            "source": source,
            "content_type": content_type,
            "tags": tag or None,
        }
        hits = search(query, k=k, filters={k_: v for k_, v in filters.items() if v}, mode=mode)  # type: ignore[arg-type]
    except InvalidQueryError as exc:
        raise _cli_error(str(exc)) from None
    except SearchUnavailableError as exc:
        raise _cli_error(str(exc)) from None
    if as_json:
        typer.echo(json.dumps([h.to_dict() for h in hits], indent=2))
        return
    if not hits:
        typer.echo("no results (is anything indexed? see `suuupra index status`)")
        return
    table = Table(title=f"search: {query}", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("result")
    for i, h in enumerate(hits, 1):
        snippet = " ".join(h.text.split())[:160]
        table.add_row(str(i), f"{h.score:.3f}", f"[bold]{h.title}[/] — {h.section}\n{h.url}\n{snippet}")
    Console().print(table)
