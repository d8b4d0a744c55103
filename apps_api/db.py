"""Engine and session factories for SQLite (local) and PostgreSQL (prod).

SQLite runs in WAL mode with a busy timeout, and every *writing* transaction
starts with ``BEGIN IMMEDIATE``: with plain deferred transactions two writers
that both read first deadlock into an immediate ``database is locked`` instead
of waiting. Read-only sessions (``Database.read_session``) keep deferred
transactions so catalog browsing does not queue behind writers.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from suuupra.sqlite_files import ensure_sqlite_parent


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """Time-ordered string id (``crs_0187f...``): sorting by id is creation order,
    which makes keyset (cursor) pagination a single-column comparison."""
    return f"{prefix}_{time.time_ns():016x}{secrets.token_hex(4)}"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        ensure_sqlite_parent(url)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 60}, pool_size=20, max_overflow=20
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        # One writer at a time *inside this process*, queued on a Python lock instead
        # of SQLite's sleep-and-retry busy handler, which starves some writers under
        # load (they then fail with "database is locked"). busy_timeout still
        # covers writers in other processes (CLI relay, a second worker).
        write_lock = threading.Lock()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:
            if conn.get_execution_options().get("suuupra_readonly", False):
                conn.exec_driver_sql("BEGIN")
                return
            if not write_lock.acquire(timeout=60):
                raise OperationalError("BEGIN IMMEDIATE", None,
                                       sqlite3.OperationalError("database is locked: waited 60 s for the "
                                                                "in-process writer queue"))
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                write_lock.release()
                raise
            conn.info["suuupra_write_lock"] = True

        def _release(conn) -> None:
            if conn.info.pop("suuupra_write_lock", False):
                write_lock.release()

        event.listen(engine, "commit", _release)
        event.listen(engine, "rollback", _release)

        return engine
    return create_engine(url, pool_size=20, max_overflow=30, pool_pre_ping=True)


class Database:
    """Owns the engine and the two session factories used by the app."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine, expire_on_commit=False)
        self.read_session = sessionmaker(
            self.engine.execution_options(suuupra_readonly=True), expire_on_commit=False
        )

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """One write transaction: commit on success, roll back on any error."""
        with self.session() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
