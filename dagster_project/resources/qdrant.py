"""Qdrant: the vector store behind docs search and the tutor (``rag``)."""

from typing import Any, ClassVar

from pydantic import Field

from dagster_project.resources.base import EngineResource


class QdrantResource(EngineResource):
    """Embedded on-disk Qdrant (``<data_dir>/qdrant``) or a Qdrant server.

    The store's location is a value (:class:`rag.store.StoreLocation`) derived from
    this resource's settings; :mod:`rag.store` keeps one client per location. The
    local path is not a field of its own: it follows the data directory, which is
    what keeps every store of one environment together.
    """

    SETTINGS_FIELDS: ClassVar[dict[str, str]] = {"url": "qdrant_url", "api_key": "qdrant_api_key"}

    url: str = Field(default="", description="Qdrant server URL; empty: embedded store under the data dir "
                     "(local) or the settings default (prod).")
    api_key: str = Field(default="", description="Qdrant API key; empty: $SUUUPRA_QDRANT_API_KEY if set.")

    def store(self) -> Any:
        """Where the index lives, as the value :mod:`rag` functions take (``store=``)."""
        from rag.store import StoreLocation

        return StoreLocation.from_settings(self.settings())

    def location(self) -> str:
        """``url:<url>`` or ``path:<dir>``: where the index lives, for logs and metadata."""
        return self.store().describe()

    def client(self) -> Any:
        """The writer client (:func:`rag.store.get_client`); locally it holds the store's file lock."""
        from rag.store import get_client

        return get_client(self.store())

    def read_client(self) -> Any:
        """A search-only client (:func:`rag.store.get_read_client`) that never takes the local lock."""
        from rag.store import get_read_client

        return get_read_client(self.store())
