"""The API database (``apps_api``): SQLite locally, PostgreSQL in prod."""

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from dagster_project.resources.base import EngineResource

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from apps_api.db import Database


class DatabaseResource(EngineResource):
    """The transactional database the API, the outbox relay and the ledger check use.

    Engines come from :func:`apps_api.db.make_engine`, so Dagster gets the same
    SQLite pragmas and write queue (or PostgreSQL pool) as the API server.
    """

    SETTINGS_FIELDS: ClassVar[dict[str, str]] = {"url": "database_url"}

    url: str = Field(default="", description="SQLAlchemy URL (`sqlite:///...`, `postgresql+psycopg://...`); "
                     "empty: the profile default.")

    def engine(self) -> "Engine":
        from apps_api.db import make_engine

        return make_engine(str(self.settings().database_url))

    def database(self) -> "Database":
        """Engine plus the app's write/read session factories (call ``dispose()`` when done)."""
        from apps_api.db import Database

        return Database(str(self.settings().database_url))
