"""CLI: ``suuupra tutor ...`` (serve, ask, index-docs, vllm-config) and ``suuupra eval tutor``.

Command functions are the edge: they read the process settings and pass them down.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from suuupra.errors import CLIError

app = typer.Typer(help="AI tutor: grounded answers with citations over the OpenAI protocol.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluations.", no_args_is_help=True)


def _default_tutor_url() -> str:
    from suuupra.settings import get_settings

    s = get_settings()
    return f"http://{s.serve_host}:{s.serve_port}/tutor/v1"


@app.command("index-docs")
def index_docs(
    pages: list[str] = typer.Option(None, "--page", help="docs page relative to the HTML root (repeatable)"),
) -> None:
    """Index the Python docs pages the eval question set is written against (plus injection test pages)."""
    from rag import StoreLocation, index_documents
    from rag.store import SearchUnavailableError
    from rag.tutor.eval.corpus import (
        EVAL_PAGES,
        DocsNotFoundError,
        injection_documents,
        python_docs_documents,
    )
    from suuupra.settings import get_settings

    try:
        docs = python_docs_documents(pages or EVAL_PAGES) + injection_documents()
        stats = index_documents(docs, store=StoreLocation.from_settings(get_settings()), progress=True)
    except (DocsNotFoundError, SearchUnavailableError) as exc:
        raise CLIError(str(exc)) from None
    typer.echo(f"indexed {stats.documents_indexed} pages ({stats.chunks_upserted} chunks) into {stats.collection}")


@app.command("serve")
def serve_cmd(
    port: int = typer.Option(0, help="HTTP port (0 = settings.serve_port)"),
) -> None:
    """Run the local stack (SmolLM2 at /llm, tutor at /tutor) until Ctrl-C."""
    import time

    from serving.tutor_local import LocalTutorStack
    from suuupra.settings import get_settings

    port = port or get_settings().serve_port
    with LocalTutorStack(port=port) as stack:
        typer.echo(f"tutor: {stack.tutor_url}   llm: {stack.llm_url}   (Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


@app.command("ask")
def ask_cmd(
    question: str,
    base_url: str = typer.Option(None, help="tutor OpenAI base URL (default: local Serve /tutor/v1)"),
    hint: bool = typer.Option(False, help="Socratic hint mode"),
    course_id: str = typer.Option(None, help="scope retrieval to one course"),
    max_tokens: int = typer.Option(128, min=1),
) -> None:
    """Ask the running tutor one question (streams the answer, then lists citations)."""
    import openai

    client = openai.OpenAI(base_url=base_url or _default_tutor_url(), api_key="cli", max_retries=0, timeout=180)
    extra: dict[str, str] = {"mode": "hint" if hint else "answer"}
    if course_id:
        extra["course_id"] = course_id
    try:
        stream = client.chat.completions.create(
            model="suuupra-tutor",
            messages=[{"role": "user", "content": question}],
            max_tokens=max_tokens,
            stream=True,
            extra_body=extra,
        )
        citations: list[dict] = []
        for chunk in stream:
            for ch in chunk.choices:
                if ch.delta.content:
                    typer.echo(ch.delta.content, nl=False)
                citations = (ch.delta.model_extra or {}).get("citations") or citations
    except openai.APIConnectionError:
        raise CLIError(f"no tutor at {client.base_url}: start it with `suuupra tutor serve`") from None
    except openai.APIStatusError as exc:
        raise CLIError(f"tutor refused the request ({exc.status_code}): {exc.message}") from None
    typer.echo("")
    for c in citations:
        typer.echo(f"  [{c['index']}] {c['title']} — {c['section']}  {c['url']}")


@app.command("vllm-config")
def vllm_config_cmd(
    tensor_parallel_size: int = typer.Option(None, min=1),
    max_model_len: int = typer.Option(None, min=512),
    accelerator_type: str = typer.Option(None, help="e.g. H100"),
    command: bool = typer.Option(False, "--command", help="print a `vllm serve` command instead"),
) -> None:
    """Print the prod vLLM deployment (Ray Serve LLM config file, or a `vllm serve` command)."""
    import shlex

    from serving.llm.vllm_app import VLLMArgs, vllm_serve_command, vllm_serve_config
    from suuupra.settings import get_settings

    args = VLLMArgs(
        tensor_parallel_size=tensor_parallel_size, max_model_len=max_model_len, accelerator_type=accelerator_type
    )
    if command:
        typer.echo(shlex.join(vllm_serve_command(get_settings(), args)))
    else:
        typer.echo(json.dumps(vllm_serve_config(get_settings(), args), indent=2))


@eval_app.command("tutor")
def eval_tutor(
    base_url: str = typer.Option(None, help="tutor OpenAI base URL (default: local Serve /tutor/v1)"),
    start_local: bool = typer.Option(False, help="start the local stack in-process for the run"),
    index: bool = typer.Option(False, help="(re)index the eval corpus first (needs the Qdrant lock)"),
    limit: int = typer.Option(0, min=0, help="only the first N questions (0 = all)"),
    max_tokens: int = typer.Option(64, min=1),
    questions: Path = typer.Option(None, exists=True, dir_okay=False),
    out: Path = typer.Option(None, help="JSON report path (default: <data_dir>/eval/tutor_eval.json)"),
) -> None:
    """Run the tutor question set: hit@k of cited sources, citation correctness, refusals, latency."""
    import os
    import platform
    import time

    import openai
    from rich.console import Console
    from rich.table import Table

    from rag.tutor.eval.harness import load_questions, markdown_table, run_eval, write_report
    from suuupra.settings import get_settings

    console = Console()
    qs = load_questions(questions)
    if limit:
        qs = qs[:limit]
    if index:
        index_docs(None)
    if start_local:
        from rag.store import close_clients

        close_clients()  # the tutor replica opens the local Qdrant store
    settings = get_settings()
    out = out or settings.data_dir / "eval" / "tutor_eval.json"

    def progress(r) -> None:  # noqa: ANN001 - EvalResult
        status = "ERROR " + r.error if r.error else f"refusal={r.refusal} cites={len(r.citations)} hit={r.hit}"
        console.print(f"  {r.id:>4} {r.total_s:6.1f}s {status}")

    def run(url: str):
        try:
            return run_eval(url, qs, max_tokens=max_tokens, on_result=progress)
        except openai.APIConnectionError:
            raise CLIError(f"no tutor at {url}: start it with `suuupra tutor serve` or pass --start-local") from None

    if start_local:
        from serving.tutor_local import LocalTutorStack

        with LocalTutorStack() as stack:
            summary, results = run(stack.tutor_url)
            url = stack.tutor_url
    else:
        url = base_url or _default_tutor_url()
        summary, results = run(url)
    if summary["errors"] == len(results):
        raise CLIError(f"every request failed (first: {results[0].error}); is the tutor at {url} healthy?")
    meta = {
        "base_url": url,
        "max_tokens": max_tokens,
        "machine": platform.processor() or platform.machine(),
        "composer": settings.tutor_composer,
        "source_prior": settings.tutor_source_prior,
        "index": settings.qdrant_url or str(settings.qdrant_path),
        "load_avg_at_end": os.getloadavg(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_report(out, summary, results, meta)
    table = Table(title="tutor eval")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in summary.items():
        table.add_row(k, f"{v:.3f}" if isinstance(v, float) else str(v))
    console.print(table)
    console.print(markdown_table(summary))
    console.print(f"report: {out}")
