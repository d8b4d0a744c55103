"""Sub-command groups: name -> "module:attribute" of a ``typer.Typer``.

One line per area; each area owns its module. Imported lazily by the CLI.
"""

COMMAND_GROUPS: dict[str, str] = {
    "config": "suuupra.cli.config_cmd:app",
    "pipeline": "suuupra.cli.pipeline_cmd:app",
    "crawl": "crawlers.cli:app",
    "index": "rag.cli:index_app",
    "search": "rag.cli:search_cmd",
    "demo-data": "suuupra.cli.demo_cmd:demo_data",
    "up": "suuupra.cli.up_cmd:up",
    "walk": "suuupra.cli.up_cmd:walk_cmd",
    "etl": "pipelines.cli:app",
    "features": "features.cli:app",
    "api": "apps_api.cli:app",
    "db": "apps_api.cli:db_app",
    "tutor": "rag.tutor.cli:app",
    "eval": "rag.tutor.cli:eval_app",
    "streaming": "apps_api.streaming.cli:app",
    "bench": "models.cli:bench_app",
    "models": "models.cli:app",
    "serve": "serving.cli:app",
}
