"""Programmatic Alembic: upgrade, current revision, and the at-head check.

The app refuses to start on a database that is not at the migration head
(:func:`assert_at_head`), because running new code on an old schema fails
later, per request, in confusing ways.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, pool

from suuupra.sqlite_files import ensure_sqlite_parent

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
FIX_COMMAND = "suuupra db upgrade"


class MigrationStateError(RuntimeError):
    """The database schema is not at the code's migration head."""


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: str, revision: str = "head") -> str:
    """Upgrade the database at ``url``; returns the resulting revision."""
    cfg = alembic_config(url)
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        if url.startswith("sqlite"):
            ensure_sqlite_parent(url)
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        return current_revision(engine) or ""
    finally:
        engine.dispose()


def assert_at_head(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise MigrationStateError(
            f"database schema is at revision {current or '<empty>'} but this code needs {head}; "
            f"run `{FIX_COMMAND}` (uses SUUUPRA_DATABASE_URL / the profile's database_url) and restart"
        )
