"""The platform settings resource and the base class of the per-engine resources.

Every engine resource is a thin layer over :class:`suuupra.settings.Settings`: its
config fields name the few settings that configure *its* connection (the Spark
master, the database URL...), and :meth:`EngineResource.settings` returns the
platform settings with those fields applied, as a value the asset passes down to
engine code (one code path for the CLI, tests and Dagster): no resource writes
``SUUUPRA_*`` variables or touches the process-wide settings. An empty field
means "the profile default", exactly as an unset ``SUUUPRA_*`` variable does, so
a resource never repeats the defaults that :class:`~suuupra.settings.Settings`
derives per profile.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from suuupra.settings import Settings, SettingsError, load_settings


def _present(owner: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The non-empty values, refusing an ``EnvVar`` that Dagster has not resolved yet.

    An ``EnvVar`` field holds the variable's *name* until Dagster initializes the
    resource for a run; using it unresolved would connect to ``"SUUUPRA_DATABASE_URL"``.
    """
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, EnvVar):
            raise SettingsError(
                f"{owner}.{name} reads ${value.env_var_name}, which Dagster resolves when a run starts; "
                "use the resource inside an asset/sensor or through process_config_and_initialize_cm()"
            )
        if value not in ("", None, 0):
            out[name] = value
    return out


class PlatformSettings(ConfigurableResource):
    """The platform settings; empty fields fall back to the environment at run time.

    Nothing is read when the resource is declared, only when an asset asks, so
    loading the definitions never freezes whatever the importing process had set.
    """

    profile: str = Field(default="", description="`local` or `prod`; empty: $SUUUPRA_PROFILE at run time.")
    data_dir: str = Field(default="", description="Root of local state; empty: $SUUUPRA_DATA_DIR or ./data.")

    def overrides(self) -> dict[str, Any]:
        return _present(type(self).__name__, {"profile": self.profile, "data_dir": self.data_dir})

    def get(self, **overrides: Any) -> Settings:
        """Effective settings: the environment, then this resource, then ``overrides``."""
        return load_settings(**{**self.overrides(), **overrides})


class EngineResource(ConfigurableResource):
    """One engine's connection config layered over the shared :class:`PlatformSettings`.

    Subclasses map their config fields to ``Settings`` fields in ``SETTINGS_FIELDS``.
    Engine handles (sessions, clients, engines) are built inside methods, when an
    asset calls them: never at import or resource construction, so loading the
    definitions imports no engine and opens no connection.
    """

    SETTINGS_FIELDS: ClassVar[dict[str, str]] = {}

    platform: PlatformSettings = Field(description="Profile and data directory this engine's config applies to.")

    def overrides(self) -> dict[str, Any]:
        """``Settings`` field -> value for every non-empty config field of this resource."""
        present = _present(type(self).__name__, {field: getattr(self, field) for field in self.SETTINGS_FIELDS})
        return {self.SETTINGS_FIELDS[field]: value for field, value in present.items()}

    def _merged(self, others: tuple["EngineResource", ...]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for resource in (*others, self):
            merged.update(resource.overrides())
        return merged

    def settings(self, *others: "EngineResource") -> Settings:
        """Platform settings with this resource's config applied (and ``others``', for multi-engine steps).

        Goes through :func:`load_settings`, so the profile defaults are filled
        around the overrides and a bad value fails naming its ``SUUUPRA_*`` variable.
        """
        return self.platform.get(**self._merged(others))
