"""End-to-end on a small subset of the real Python docs: Dagster assets, eval, CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.docs_server import PYTHON_DOCS_DIR

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PYTHON_DOCS_DIR.is_dir(), reason="python3.11-doc not installed"),
]


def test_dagster_assets_crawl_index_and_check_on_tutorial_subset(data_dir: Path, capsys) -> None:
    from dagster import materialize

    from crawlers.docs_server import start_docs_server
    from dagster_project.assets.search import ASSET_CHECKS, ASSETS
    from dagster_project.resources import resources_for
    from rag import StoreLocation, search
    from rag.store import close_clients
    from suuupra.settings import load_settings

    resources = resources_for(data_dir=str(data_dir))
    store = StoreLocation.from_settings(load_settings(data_dir=data_dir, profile="local", qdrant_url=None))
    with start_docs_server(port=0) as server:
        run_config = {
            "ops": {
                "python_docs_pages": {
                    "config": {
                        "max_pages": 3,
                        "start_path": "tutorial/inputoutput.html",
                        "scope_path": "tutorial/",
                        "base_url": server.url,
                    }
                }
            }
        }
        result = materialize([*ASSETS, *ASSET_CHECKS], run_config=run_config, resources=resources)
        assert result.success
        crawl_meta = result.asset_materializations_for_node("python_docs_pages")[0].metadata
        assert crawl_meta["rows"].value == 3 and crawl_meta["truncated"].value is True
        index_meta = result.asset_materializations_for_node("docs_search_index")[0].metadata
        assert index_meta["documents_indexed"].value == 3 and index_meta["rows"].value > 50
        check = result.get_asset_check_evaluations()[0]
        assert check.passed and check.metadata["evaluated"].value >= 2

        hits = search("how do I read a file line by line", k=3, filters={"source": "python-docs"}, store=store)
        top = [h.url for h in hits]
        assert any(u.startswith(f"{server.url}tutorial/inputoutput.html#") for u in top), top
        assert all(h.section and h.tags == ("tutorial",) for h in hits)

        # re-materialising is incremental: every page is a 304 / unchanged hash, nothing re-embedded
        again = materialize([*ASSETS], run_config=run_config, resources=resources)
        meta = again.asset_materializations_for_node("docs_search_index")[0].metadata
        assert meta["documents_unchanged"].value == 3 and meta["chunks_upserted"].value == 0

    # The CLI is an edge: it finds the same data dir through the environment, as a shell would.
    from cli.app import main

    with pytest.raises(SystemExit) as exc:
        main(["search", "exceptions try except", "-k", "2", "--json"])
    assert exc.value.code == 0
    assert "tutorial/errors.html" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["index", "status"])
    assert exc.value.code == 0 and "chunks" in capsys.readouterr().out
    close_clients()
