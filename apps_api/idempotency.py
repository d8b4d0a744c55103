"""``Idempotency-Key`` handling for mutating payment calls.

The first request with a key inserts an ``in_progress`` row (a unique
constraint on ``(user_id, key)`` makes exactly one request win, on SQLite and
PostgreSQL alike), runs, and stores its response. Later requests with the same
key and the same fingerprint (method, path, canonical body) get the stored
response; a different fingerprint is a 409. Requests that arrive while the
first one is still running wait for it (up to ``idempotency_wait_s``) and then
replay its response, so N concurrent requests produce exactly one charge.
A row left ``in_progress`` by a crashed worker is taken over after
``idempotency_lock_ttl_s``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from apps_api.db import Database, new_id, utcnow
from apps_api.errors import ApiError, problem_body
from apps_api.models import IdempotencyKey

Outcome = tuple[int, Any]


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


def _try_claim(db: Database, user_id: str, key: str, fp: str) -> tuple[bool, IdempotencyKey | None]:
    """Insert our in-progress row: (True, None) when we own the key, else (False, existing row or
    None if it vanished meanwhile)."""
    try:
        with db.begin() as s:
            s.add(IdempotencyKey(id=new_id("idem"), user_id=user_id, key=key, request_hash=fp))
        return True, None
    except IntegrityError:
        pass
    return False, _load(db, user_id, key)


def _load(db: Database, user_id: str, key: str) -> IdempotencyKey | None:
    with db.read_session() as s:
        row = s.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                    IdempotencyKey.key == key))
        if row is not None:
            s.expunge(row)
        return row


def run_idempotent(db: Database, user_id: str, key: str, fp: str, fn: Callable[[], Outcome], *,
                   wait_s: float, lock_ttl_s: float) -> tuple[int, Any, bool]:
    """Run ``fn`` at most once per (user, key); returns (status, body, replayed)."""
    deadline = time.monotonic() + wait_s
    delay = 0.01
    owned, row = _try_claim(db, user_id, key, fp)
    while not owned:
        if row is not None:
            if row.request_hash != fp:
                raise ApiError(409, "this Idempotency-Key was already used with a different request; "
                                    "use a new key for a new request")
            if row.status == "completed":
                return int(row.response_status or 200), row.response_body, True
            if utcnow() - row.locked_at > timedelta(seconds=lock_ttl_s) and _take_over(db, row):
                break
        if time.monotonic() > deadline:
            raise ApiError(409, "a request with this Idempotency-Key is still in progress; retry shortly",
                           headers={"Retry-After": "1"})
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)
        row = _load(db, user_id, key)  # cheap read while the original runs
        if row is None:  # the original failed and released the key: try to own it
            owned, row = _try_claim(db, user_id, key, fp)

    try:
        status, body = fn()
    except ApiError as exc:
        status, body = exc.status, problem_body(exc.status, exc.detail)
    except BaseException:
        with db.begin() as s:  # let the client retry with the same key
            s.execute(delete(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                   IdempotencyKey.key == key,
                                                   IdempotencyKey.status == "in_progress"))
        raise
    with db.begin() as s:
        # Only the first completion is stored: a slow original finishing after another
        # request took its key over must not overwrite the answer clients already replay.
        s.execute(update(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key,
                                               IdempotencyKey.status == "in_progress")
                  .values(status="completed", response_status=status, response_body=body))
    return status, body, False


def _take_over(db: Database, row: IdempotencyKey) -> bool:
    with db.begin() as s:
        res = s.execute(update(IdempotencyKey)
                        .where(IdempotencyKey.id == row.id, IdempotencyKey.locked_at == row.locked_at,
                               IdempotencyKey.status == "in_progress")
                        .values(locked_at=utcnow()))
        return res.rowcount == 1
