"""Saved-model manifests and the models package's import boundaries."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest

from models.artifacts import MANIFEST, ArtifactError, read_manifest, write_manifest

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


def test_manifest_round_trip_keeps_kind_version_and_numpy_values(tmp_path):
    out = write_manifest(
        tmp_path / "m", "recommender", 1, n=np.int64(3), score=np.float32(0.5), ids=np.arange(2)
    )
    meta = read_manifest(out, "recommender", {1})
    assert meta == {"format_version": 1, "kind": "recommender", "n": 3, "score": 0.5, "ids": [0, 1]}


def test_manifest_errors_name_the_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(f"no fraud model at {tmp_path}")):
        read_manifest(tmp_path, "fraud", {1})
    write_manifest(tmp_path, "recommender", 1)
    with pytest.raises(
        ArtifactError, match=re.escape(f"{tmp_path} holds a 'recommender' model, not a 'fraud' model")
    ):
        read_manifest(tmp_path, "fraud", {1})
    write_manifest(tmp_path, "fraud", 7)
    with pytest.raises(ArtifactError, match=re.escape(f"{tmp_path} is a fraud model of format 7")):
        read_manifest(tmp_path, "fraud", {1})
    (tmp_path / MANIFEST).write_text("not json")
    with pytest.raises(ArtifactError, match="not a readable model manifest"):
        read_manifest(tmp_path, "fraud", {1})


def test_model_loaders_refuse_the_other_kind(tmp_path, interactions):
    from models.fraud import FraudModel
    from models.recommender import RecommenderModel, train_recommender

    saved = train_recommender(interactions, {"algorithm": "popular"}).save(tmp_path / "rec")
    assert json.loads((saved / MANIFEST).read_text())["kind"] == "recommender"
    with pytest.raises(ArtifactError, match="not a 'fraud' model"):
        FraudModel.load(saved)
    assert isinstance(RecommenderModel.load(saved), RecommenderModel)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_models_imports_no_higher_layer_and_reads_no_process_settings():
    higher = ("serving", "rag", "apps_api", "dagster_project", "crawlers")
    offenders = []
    for path in MODELS_DIR.rglob("*.py"):
        for name in _imports(path):
            if name.split(".")[0] in higher:
                offenders.append(f"{path.relative_to(MODELS_DIR)}: {name}")
            if name == "suuupra.settings.get_settings" and path.name != "cli.py":
                offenders.append(f"{path.relative_to(MODELS_DIR)}: get_settings outside the CLI edge")
    assert offenders == []


def test_fraud_network_and_model_do_not_import_each_other():
    assert not any(n.startswith("models.fraud.model") for n in _imports(MODELS_DIR / "fraud" / "net.py"))
    assert not any(n.startswith("models.fraud.model") for n in _imports(MODELS_DIR / "fraud" / "params.py"))
