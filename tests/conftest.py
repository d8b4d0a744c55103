"""Shared fixtures: every test gets its own data directory and fresh settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point SUUUPRA_DATA_DIR at a temp dir and reset the settings cache."""
    from suuupra.settings import reset_settings_cache

    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("SUUUPRA_DATA_DIR", str(d))
    monkeypatch.setenv("SUUUPRA_PROFILE", "local")
    reset_settings_cache()
    yield d
    reset_settings_cache()


@pytest.fixture()
def settings(data_dir: Path):
    from suuupra.settings import get_settings

    return get_settings()
