"""MLflow: experiment tracking and the champion/challenger model registry (``models``)."""

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from dagster_project.resources.base import EngineResource

if TYPE_CHECKING:
    from mlflow import MlflowClient


class MLflowResource(EngineResource):
    """The tracking/registry backend: SQLite under the data dir locally, a server in prod.

    Assets hand :meth:`settings` to training (:mod:`models.platform`);
    :meth:`client` is for direct registry reads.
    """

    SETTINGS_FIELDS: ClassVar[dict[str, str]] = {"tracking_uri": "mlflow_tracking_uri"}

    tracking_uri: str = Field(default="", description="MLflow tracking and registry URI (`sqlite:///...`, "
                              "`http://mlflow:5000`); empty: the profile default.")

    def client(self) -> "MlflowClient":
        """A registry client on this resource's URI (a fresh SQLite store gets its folder first)."""
        from models.registry import registry_client

        return registry_client(str(self.settings().mlflow_tracking_uri))
