"""Prepare ``DAGSTER_HOME`` inside the data directory with the committed dagster.yaml."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from suuupra.settings import Profile, Settings

_HERE = Path(__file__).resolve().parent


def prepare_dagster_home(settings: Settings) -> Path:
    """Create ``<data_dir>/dagster_home`` with the profile's dagster.yaml; export DAGSTER_HOME."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    source = _HERE / ("dagster_prod.yaml" if settings.profile is Profile.prod else "dagster.yaml")
    target = home / "dagster.yaml"
    if not target.exists() or target.read_bytes() != source.read_bytes():
        shutil.copyfile(source, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
