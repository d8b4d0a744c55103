"""Crawl state in SQLite: what each URL returned last time.

It makes re-crawls incremental (conditional GETs with the stored ETag /
Last-Modified; a 304 reuses the stored document and links) and lets a crawl tell
"page changed" from "page unchanged" from "page disappeared". SQLite (stdlib)
because the state is per-source, small, and must survive process restarts.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from rag.types import Document

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    status INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    fetched_at REAL NOT NULL,
    links TEXT NOT NULL DEFAULT '[]',
    document TEXT,
    gone INTEGER NOT NULL DEFAULT 0
)
"""


@dataclass(slots=True)
class PageState:
    url: str
    doc_id: str
    status: int
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    fetched_at: float
    links: list[str]
    document: Document | None
    gone: bool


class CrawlState:
    """Thread-safe access to one source's crawl state file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> CrawlState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str) -> PageState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT url, doc_id, status, etag, last_modified, content_hash, fetched_at, links, document, gone "
                "FROM pages WHERE url = ?",
                (url,),
            ).fetchone()
        if row is None:
            return None
        doc = Document.from_dict(json.loads(row[8])) if row[8] else None
        return PageState(
            row[0], row[1], row[2], row[3], row[4], row[5], row[6], json.loads(row[7]), doc, bool(row[9])
        )

    def put(
        self,
        url: str,
        *,
        doc_id: str,
        status: int,
        fetched_at: float,
        etag: str | None = None,
        last_modified: str | None = None,
        content_hash: str | None = None,
        links: list[str] | None = None,
        document: Document | None = None,
        gone: bool = False,
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    url,
                    doc_id,
                    status,
                    etag,
                    last_modified,
                    content_hash,
                    fetched_at,
                    json.dumps(links or []),
                    json.dumps(document.to_dict()) if document else None,
                    int(gone),
                ),
            )
            self._db.commit()

    def mark_gone(self, urls: list[str]) -> None:
        with self._lock:
            self._db.executemany(
                "UPDATE pages SET gone = 1, document = NULL WHERE url = ?", [(u,) for u in urls]
            )
            self._db.commit()

    def live_urls(self) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT url FROM pages WHERE gone = 0 AND document IS NOT NULL"
            ).fetchall()
        return [r[0] for r in rows]

    def documents(self) -> list[Document]:
        """Every live document, in URL order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT document FROM pages WHERE gone = 0 AND document IS NOT NULL ORDER BY url"
            ).fetchall()
        return [Document.from_dict(json.loads(r[0])) for r in rows]


def state_path(data_dir: Path, source: str) -> Path:
    """``<data_dir>/crawl/<source>.sqlite``, the source name made safe for a file name."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in source)
    return data_dir / "crawl" / f"{safe}.sqlite"
