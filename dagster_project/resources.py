"""Dagster resources keyed by environment (``local`` / ``prod``).

Resources are thin: they hand out clients built from the platform settings so
that asset code stays the same in both profiles (the hooli pattern: the
environment picks the resource configuration, not the asset code).
"""

from __future__ import annotations

from dagster import ConfigurableResource

from suuupra.settings import Settings, load_settings


class PlatformSettings(ConfigurableResource):
    """The platform settings; empty fields fall back to the environment at run time.

    Nothing is read when the resource is declared, only when an asset asks.
    """

    profile: str = ""
    data_dir: str = ""

    def get(self) -> Settings:
        overrides: dict[str, object] = {}
        if self.profile:
            overrides["profile"] = self.profile
        if self.data_dir:
            overrides["data_dir"] = self.data_dir
        return load_settings(**overrides)


def resources_for(profile: str = "", data_dir: str = "") -> dict[str, object]:
    """All resources for one environment."""
    return {"platform": PlatformSettings(profile=profile, data_dir=data_dir)}
