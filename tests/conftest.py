"""Shared fixtures: every test gets its own data directory and fresh settings."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_SESSION_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _SESSION_EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave with pytest's own exit status, skipping interpreter finalization.

    Why: the suite loads torch, LightGBM and XGBoost (three OpenMP runtimes), Ray's core
    worker, py4j gateways and Arrow pools into one process. Their native threads and
    static destructors race during CPython finalization; one full run segfaulted in a
    native thread *after* printing "362 passed", and `make test` failed on a green run.
    Every test, fixture teardown and report has finished by the time this hook runs,
    so nothing is lost; the spawned JVMs exit on their closed stdin as before.
    """
    if _SESSION_EXIT_STATUS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_SESSION_EXIT_STATUS[-1])


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temp data dir. It is also exported as SUUUPRA_DATA_DIR for the tests that drive
    the CLI, which is an edge and reads the environment as a shell user's would."""
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
    """The settings value library code under test is handed (never read back from the process)."""
    from suuupra.settings import load_settings

    return load_settings(profile="local", data_dir=data_dir)
