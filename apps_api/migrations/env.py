"""Alembic environment, driven programmatically by :mod:`apps_api.migrate`.

No alembic.ini is needed: the URL (or an open connection) is passed on the
Config object, so ``suuupra db upgrade`` works from any working directory.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from apps_api import models, tutor_models  # noqa: F401  (register their tables on Base.metadata)
from apps_api.db import Base
from apps_api.streaming import models as streaming_models  # noqa: F401

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
