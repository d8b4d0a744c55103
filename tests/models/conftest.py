"""Fixtures for the models tests; the data builders live in ``models_testdata``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from models_testdata import item_categories, make_interactions, make_payments

from suuupra.settings import Settings, load_settings


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    """Local-profile settings on a fresh data dir, passed to the code under test as a value.

    Overrides the suite-wide fixture, which configures the process through ``SUUUPRA_*``
    variables: nothing in ``models`` reads process settings, so none are set here.
    """
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    return load_settings(profile="local", data_dir=data_dir)


@pytest.fixture()
def tracking_uri(settings: Settings) -> str:
    return str(settings.mlflow_tracking_uri)


@pytest.fixture(scope="session")
def interactions() -> pd.DataFrame:
    return make_interactions()


@pytest.fixture(scope="session")
def categories() -> pd.DataFrame:
    return item_categories()


@pytest.fixture(scope="session")
def payments() -> pd.DataFrame:
    return make_payments()
