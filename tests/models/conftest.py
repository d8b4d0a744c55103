"""Fixtures for the models tests; the data builders live in ``models_testdata``."""

from __future__ import annotations

import pandas as pd
import pytest
from models_testdata import item_categories, make_interactions, make_payments


@pytest.fixture(scope="session")
def interactions() -> pd.DataFrame:
    return make_interactions()


@pytest.fixture(scope="session")
def categories() -> pd.DataFrame:
    return item_categories()


@pytest.fixture(scope="session")
def payments() -> pd.DataFrame:
    return make_payments()
