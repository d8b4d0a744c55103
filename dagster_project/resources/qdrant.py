"""Qdrant: the vector store behind docs search and the tutor (``rag``)."""

from typing import Any, ClassVar

from pydantic import Field

from dagster_project.resources.base import EngineResource


class QdrantResource(EngineResource):
    """Embedded on-disk Qdrant (``<data_dir>/qdrant``) or a Qdrant server.

    :mod:`rag.store` picks the location from the process-wide settings and keeps
    one client per location, so the clients are built inside :meth:`activated`.
    The local path is not a field of its own: it follows the data directory, which
    is what keeps every store of one environment together.
    """

    SETTINGS_FIELDS: ClassVar[dict[str, str]] = {"url": "qdrant_url", "api_key": "qdrant_api_key"}

    url: str = Field(default="", description="Qdrant server URL; empty: embedded store under the data dir "
                     "(local) or the settings default (prod).")
    api_key: str = Field(default="", description="Qdrant API key; empty: $SUUUPRA_QDRANT_API_KEY if set.")

    def location(self) -> str:
        """``url:<url>`` or ``path:<dir>``: where the index lives, for logs and metadata."""
        settings = self.settings()
        return f"url:{settings.qdrant_url}" if settings.qdrant_url else f"path:{settings.qdrant_path}"

    def client(self) -> Any:
        """The writer client (:func:`rag.store.get_client`); locally it holds the store's file lock."""
        with self.activated():
            from rag.store import get_client

            return get_client()

    def read_client(self) -> Any:
        """A search-only client (:func:`rag.store.get_read_client`) that never takes the local lock."""
        with self.activated():
            from rag.store import get_read_client

            return get_read_client()
