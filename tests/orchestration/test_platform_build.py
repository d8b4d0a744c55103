"""The whole asset graph, materialized at small scale in one go, then the notebooks on its output.

This is ``suuupra pipeline run --quick`` exactly as a user runs it (a subprocess
with its own data dir), so it also proves the CLI's exit code and summary.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built_platform(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("platform") / "data"
    env = {**os.environ, "SUUUPRA_DATA_DIR": str(data_dir), "SUUUPRA_PROFILE": "local",
           "SUUUPRA_DOCS_PORT": "18765", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "pipeline", "run", "--quick"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500,
    )
    log = proc.stdout + proc.stderr
    (data_dir / "pipeline_run.log").write_text(log)
    assert proc.returncode == 0, log[-6000:]
    assert "suuupra pipeline run: succeeded" in log, log[-3000:]
    return data_dir


def test_every_asset_materialized(built_platform: Path):
    from dagster import AssetKey, DagsterInstance

    from dagster_project.definitions import build_definitions

    os.environ["DAGSTER_HOME"] = str(built_platform / "dagster_home")
    instance = DagsterInstance.get()
    graph = build_definitions().resolve_asset_graph()
    missing = [
        key.to_user_string() for key in graph.materializable_asset_keys
        if instance.get_latest_materialization_event(AssetKey(key.path)) is None
    ]
    assert missing == []
    for table in ("interactions", "payments_labeled", "mart_funnel"):
        assert (built_platform / "lake" / "tables" / table).exists(), table


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_headless(built_platform: Path, notebook: Path, monkeypatch):
    monkeypatch.setenv("SUUUPRA_DATA_DIR", str(built_platform))
    monkeypatch.setenv("SUUUPRA_PROFILE", "local")
    nb = nbformat.read(notebook, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "store notebooks without outputs"
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()


def test_platform_comes_up_and_a_learner_can_walk_it(built_platform: Path):
    """`suuupra up --check --walk`: every service answers on localhost and the scripted walk succeeds."""
    env = {**os.environ, "SUUUPRA_DATA_DIR": str(built_platform), "SUUUPRA_PROFILE": "local",
           "SUUUPRA_DOCS_PORT": "18765", "SUUUPRA_API_PORT": "18080", "SUUUPRA_SERVE_PORT": "18000",
           "SUUUPRA_DAGSTER_PORT": "13000", "SUUUPRA_MLFLOW_UI_PORT": "15000", "HF_HUB_OFFLINE": "1",
           # a short answer keeps the CPU-only 135M model well inside the request timeout on a busy CI box
           "SUUUPRA_TUTOR_MAX_OUTPUT_TOKENS": "48", "SUUUPRA_TUTOR_REQUEST_TIMEOUT_S": "150"}
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "up", "--check", "--walk"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert "platform up" in out
    assert "learner walk: ok" in out, out[-4000:]
