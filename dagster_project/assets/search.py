"""Search assets: crawl the Python docs, then bring the hybrid search index up to date.

Thin wrappers over :mod:`crawlers` and :mod:`rag.index`: each asset takes its
settings from the resource it is given and passes them down as a value. The crawl
defaults to the full docs (the demo pipeline); ``max_pages`` in the run config
makes a quick subset (tests, CI): ``{"ops": {"python_docs_pages": {"config":
{"max_pages": 20}}}}``.
"""

import json
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from dagster_project.resources import PlatformSettings, QdrantResource


class DocsCrawlConfig(Config):
    max_pages: int | None = None  # None: the whole site
    start_path: str = "index.html"
    scope_path: str = ""  # only follow links under this path (e.g. "tutorial/"); "" = whole site
    concurrency: int = 4
    base_url: str | None = None  # crawl an already-served site instead of starting the docs server


class DocsIndexConfig(Config):
    rebuild: bool = False  # True: fresh collection + alias swap (after chunker/model changes)


def _snapshot_path(settings) -> Path:
    return settings.tables_dir / "crawl_pages" / "source=python-docs" / "pages.jsonl"


@asset(
    group_name="search",
    owners=["team:search"],
    kinds={"python", "sqlite", "jsonl"},
    description="Python 3.11 docs crawled politely and incrementally over HTTP from the loopback docs server "
    "(robots.txt, sitemap, conditional GETs); pages with sections written to the lake as JSONL.",
)
def python_docs_pages(
    context: AssetExecutionContext, config: DocsCrawlConfig, platform: PlatformSettings
) -> MaterializeResult:
    from crawlers.crawler import CrawlConfig, crawl
    from crawlers.docs_server import ensure_docs_server
    from crawlers.pipeline import write_snapshot

    # The crawl state (conditional-GET cache) and the snapshot live under the data dir.
    settings = platform.get()
    server = None
    base = config.base_url
    if base is None:
        base, server = ensure_docs_server(settings.docs_port)
    try:
        cfg = CrawlConfig(
            start_url=base.rstrip("/") + "/" + config.start_path.lstrip("/"),
            scope=base.rstrip("/") + "/" + config.scope_path.lstrip("/"),
            source="python-docs",
            max_pages=config.max_pages,
            concurrency=config.concurrency,
        )
        result = crawl(cfg, data_dir=settings.data_dir)
    finally:
        if server is not None:
            server.stop()
    path = write_snapshot(result, "python-docs", tables_dir=settings.tables_dir)
    (path.parent / "_crawl.json").write_text(
        json.dumps({"base_url": base, "truncated": result.truncated, "gone_doc_ids": result.gone_doc_ids})
    )
    context.log.info("crawl: %s", result.summary())
    preview = "| page | title | sections |\n|---|---|---:|\n" + "\n".join(
        f"| {d.url[len(base) :]} | {d.title[:60]} | {len(d.sections)} |" for d in result.documents[:15]
    )
    meta = {
        k: MetadataValue.int(v)
        for k, v in result.summary().items()
        if isinstance(v, int) and not isinstance(v, bool)
    }
    return MaterializeResult(
        metadata={
            **meta,
            "rows": MetadataValue.int(len(result.documents)),
            "truncated": MetadataValue.bool(result.truncated),
            "elapsed_s": MetadataValue.float(float(result.elapsed_s)),
            "preview": MetadataValue.md(preview),
            "path": MetadataValue.path(str(path)),
        }
    )


def _histogram_markdown(values: list[int]) -> str:
    from dagster_project.plots import figure_markdown, new_figure

    fig, ax = new_figure(6, 3)
    ax.hist(values, bins=30, color="#4C72B0")
    ax.set_xlabel("word-pieces per chunk")
    ax.set_ylabel("chunks")
    ax.set_title("Chunk size distribution")
    return figure_markdown(fig, "chunk sizes")


@asset(
    deps=[python_docs_pages],
    group_name="search",
    owners=["team:search"],
    kinds={"python", "qdrant"},
    description="Hybrid (MiniLM dense + BM25 sparse) Qdrant index behind the `docs` alias; incremental by "
    "page content hash, pages that disappeared from a complete crawl are deleted.",
)
def docs_search_index(
    context: AssetExecutionContext, config: DocsIndexConfig, qdrant: QdrantResource
) -> MaterializeResult:
    from rag.chunking import chunk_documents, count_tokens_batch
    from rag.index import delete_documents, index_documents, rebuild_index
    from rag.store import StoreLocation
    from rag.types import Document

    settings = qdrant.settings()
    store = StoreLocation.from_settings(settings)
    path = _snapshot_path(settings)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    docs = [Document.from_dict({k: v for k, v in row.items() if k != "text_chars"}) for row in rows]
    info = json.loads((path.parent / "_crawl.json").read_text())
    if config.rebuild:
        stats = rebuild_index(docs, store=store)
    else:
        if info["gone_doc_ids"]:
            delete_documents(info["gone_doc_ids"], store=store)
        stats = index_documents(docs, store=store)
    context.log.info("index: %s", stats)
    sample = chunk_documents(docs[:40])
    sizes = count_tokens_batch([c.embed_text() for c in sample])
    return MaterializeResult(
        metadata={
            "collection": MetadataValue.text(stats.collection),
            "documents_indexed": MetadataValue.int(stats.documents_indexed),
            "documents_unchanged": MetadataValue.int(stats.documents_unchanged),
            "chunks_upserted": MetadataValue.int(stats.chunks_upserted),
            "rows": MetadataValue.int(stats.points_total),
            "chunk_sizes": MetadataValue.md(_histogram_markdown(sizes))
            if sizes
            else MetadataValue.md("no chunks"),
        }
    )


@asset_check(asset=docs_search_index, description="Labelled learner queries: the right page is in the top 5.")
def docs_search_quality(qdrant: QdrantResource) -> AssetCheckResult:
    from rag.eval import evaluate, report_markdown
    from rag.store import StoreLocation

    settings = qdrant.settings()
    path = _snapshot_path(settings)
    base = json.loads((path.parent / "_crawl.json").read_text())["base_url"]
    report = evaluate(base, store=StoreLocation.from_settings(settings), modes=("hybrid",))
    hybrid = report.modes["hybrid"]
    passed = report.evaluated == 0 or hybrid.recall_at_5 >= 0.6
    return AssetCheckResult(
        passed=passed,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "evaluated": MetadataValue.int(report.evaluated),
            "recall_at_5": MetadataValue.float(hybrid.recall_at_5),
            "mrr_at_10": MetadataValue.float(hybrid.mrr_at_10),
            "report": MetadataValue.md(report_markdown(report)),
        },
    )


ASSETS = [python_docs_pages, docs_search_index]
ASSET_CHECKS = [docs_search_quality]
