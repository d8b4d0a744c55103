"""``suuupra index`` (manage the search index) and ``suuupra search`` (query it).

Command functions are the edge: they read the process settings and pass the
store location down. ``index_app`` holds the commands that need only the index;
the ``suuupra index`` group the CLI mounts is :data:`cli.crawl_cmd.index_app`,
which adds ``rebuild`` (re-index a crawled source): that needs the crawler, and
``crawlers`` builds on ``rag``, never the other way round.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from suuupra.errors import CLIError

INDEX_HELP = "Manage the search index (Qdrant collection behind the `docs` alias)."
index_app = typer.Typer(help=INDEX_HELP, no_args_is_help=True)


def _store():
    from rag.store import StoreLocation
    from suuupra.settings import get_settings

    return StoreLocation.from_settings(get_settings())


@index_app.command("status")
def status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Live collection and point count."""
    from rag.index import index_status
    from rag.store import SearchUnavailableError

    try:
        info = index_status(_store())
    except SearchUnavailableError as exc:
        raise CLIError(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(info))
    elif info["collection"] is None:
        typer.echo("no search index yet: run `suuupra crawl run` (or `suuupra index add FILE.jsonl`)")
    else:
        typer.echo(f"alias {info['alias']} -> {info['collection']}: {info['points']} chunks")


@index_app.command("add")
def add(
    path: Path = typer.Argument(
        ..., help="JSONL file, one document per line (url, title, text|sections, ...)."
    ),
) -> None:
    """Index documents from a JSONL file (incremental upsert)."""
    from rag.index import index_documents
    from rag.store import SearchUnavailableError
    from rag.types import Document

    if not path.is_file():
        raise CLIError(f"{path} is not a file")
    docs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            docs.append(Document.from_dict(json.loads(line)))
        except (ValueError, TypeError) as exc:
            raise CLIError(f"{path}:{n}: not a valid document ({exc})") from None
    try:
        stats = index_documents(docs, store=_store(), progress=True)
    except SearchUnavailableError as exc:
        raise CLIError(str(exc)) from None
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
        raise CLIError("--mode must be one of hybrid, dense, bm25")
    store = _store()
    try:
        if suggest:
            out = autocomplete(query, k=k, store=store)
            typer.echo(json.dumps(out) if as_json else "\n".join(out))
            return
        filters = {
            "course_id": course_id,
            "source": source,
            "content_type": content_type,
            "tags": tag or None,
        }
        wanted = {k_: v for k_, v in filters.items() if v}
        hits = search(query, k=k, filters=wanted, store=store, mode=mode)  # type: ignore[arg-type]
    except (InvalidQueryError, SearchUnavailableError) as exc:
        raise CLIError(str(exc)) from None
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
