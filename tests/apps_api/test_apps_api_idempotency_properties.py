"""Property tests for the Idempotency-Key store (``apps_api.idempotency``), on SQLite and PostgreSQL.

Drives the module's public functions (``fingerprint``, ``run_idempotent``)
directly against a real migrated database and checks them against a model:

* the first request for a (user, key) runs the operation once and stores
  (status, body); a later request with the same fingerprint replays that
  status and a byte-for-byte identical JSON body (``replayed=True``) without
  running the operation again;
* the same key with a different fingerprint is a 409 ``ApiError`` and does not
  run the operation; keys are per user (two users never share a key);
* an operation that raises ``ApiError`` (a 4xx) is *completed* with that
  status and an RFC 9457 problem body, and replayed like a success (the code's
  behaviour; ``routers._idem`` relies on it to answer retries identically);
  any other exception releases the key (row deleted) and is re-raised, so a
  retry with the same key runs the operation again;
* N threads racing on one (user, key) run the operation exactly once and all
  get the same answer; a crash of the winner lets exactly one waiter take over;
  a row left ``in_progress`` past ``lock_ttl_s`` is taken over exactly once,
  and before that a waiter gives up with a 409 + ``Retry-After``.

Every example uses fresh user ids, so examples never see each other's rows and
the database is created once per module.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from apps_api.db import Database, new_id, utcnow
from apps_api.errors import ApiError, problem_body
from apps_api.idempotency import fingerprint, run_idempotent
from apps_api.models import IdempotencyKey

PATH = "/api/v1/checkout"
WAIT_S = 20.0  # generous: a waiter must never give up in these tests unless we want it to
TTL_S = 120.0
SETTINGS = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.prod)])
def idem_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("idem") / "idem.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
    db = Database(url)
    yield db
    db.dispose()


# ---- strategies -------------------------------------------------------------------------------------
KEY_ALPHABET = st.characters(min_codepoint=0x21, max_codepoint=0x7E)  # what the header accepts
keys = st.text(KEY_ALPHABET, min_size=1, max_size=200)
# JSON the way our handlers produce it (model_dump(mode="json")): no NaN/inf, any printable text.
# PostgreSQL ``json`` cannot hold \\u0000; response bodies never carry it (inputs are refused earlier).
json_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | json_text
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(json_text, children, max_size=4),
    max_leaves=12,
)
bodies = st.dictionaries(json_text, json_values, max_size=5)
outcomes = st.one_of(
    st.tuples(st.just("ok"), st.sampled_from([200, 201, 202]), bodies),
    st.tuples(st.just("api_error"), st.sampled_from([400, 402, 404, 409, 422]), json_text),
    st.tuples(st.just("crash"), st.just(0), st.just(None)),
)


@st.composite
def request_sequences(draw) -> tuple[list[str], list[dict], list[tuple]]:
    """A small pool of keys and request bodies (so keys collide), then requests drawing from them."""
    pool = draw(st.lists(keys, min_size=1, max_size=3, unique=True))
    request_bodies = draw(st.lists(bodies, min_size=1, max_size=3))
    steps = draw(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(pool),
                                    st.integers(0, len(request_bodies) - 1), outcomes),
                          min_size=1, max_size=12))
    return pool, request_bodies, steps


def rendered(body: Any) -> bytes:
    """The bytes ``routers._idem`` sends for a body (JSONResponse), replay or not."""
    return JSONResponse(body).body


def _users(n: int = 3) -> list[str]:
    run = uuid.uuid4().hex[:10]
    return [f"usr_prop{run}{i}" for i in range(n)]


class Op:
    """The wrapped operation: counts its executions, returns/raises what it is told."""

    def __init__(self, kind: str, status: int, payload: Any, delay_s: float = 0.0) -> None:
        self.kind, self.status, self.payload, self.delay_s = kind, status, payload, delay_s
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> tuple[int, Any]:
        with self._lock:
            self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.kind == "api_error":
            raise ApiError(self.status, f"refused: {self.payload}")
        if self.kind == "crash":
            raise RuntimeError("processor exploded")
        return self.status, self.payload


# ---- sequential model-based property ----------------------------------------------------------------
@SETTINGS
@given(seq=request_sequences())
def test_replay_conflict_and_isolation_match_the_model(idem_db: Database, seq) -> None:
    _pool, request_bodies, steps = seq
    users = _users()
    stored: dict[tuple[str, str], tuple[str, int, bytes]] = {}  # (user, key) -> (fp, status, body bytes)
    for user_i, key, body_i, (kind, status, payload) in steps:
        user, fp = users[user_i], fingerprint("POST", PATH, request_bodies[body_i])
        op = Op(kind, status, payload)
        slot = (user, key)
        if slot in stored and stored[slot][0] != fp:
            with pytest.raises(ApiError) as err:
                run_idempotent(idem_db, user, key, fp, op, wait_s=WAIT_S, lock_ttl_s=TTL_S)
            assert err.value.status == 409 and "different request" in err.value.detail
            assert op.calls == 0, "a conflicting request must not run the operation"
            continue
        if slot in stored:
            got_status, got_body, replayed = run_idempotent(idem_db, user, key, fp, op, wait_s=WAIT_S,
                                                            lock_ttl_s=TTL_S)
            assert op.calls == 0, "a replay must not run the operation again"
            assert replayed is True
            assert (got_status, rendered(got_body)) == stored[slot][1:], "replay differs from the original"
            continue
        # First request for this (user, key), or the previous attempt crashed and released it.
        if kind == "crash":
            with pytest.raises(RuntimeError):
                run_idempotent(idem_db, user, key, fp, op, wait_s=WAIT_S, lock_ttl_s=TTL_S)
            assert op.calls == 1
            assert _row(idem_db, user, key) is None, "a crashed operation must release its key"
            continue
        got_status, got_body, replayed = run_idempotent(idem_db, user, key, fp, op, wait_s=WAIT_S,
                                                        lock_ttl_s=TTL_S)
        assert op.calls == 1 and replayed is False
        if kind == "ok":
            assert (got_status, got_body) == (status, payload)
        else:  # ApiError: completed with its status and problem body, like the handlers answer it
            assert got_status == status
            assert got_body == problem_body(status, f"refused: {payload}")
        row = _row(idem_db, user, key)
        assert row is not None and row.status == "completed" and row.request_hash == fp
        stored[slot] = (fp, got_status, rendered(got_body))
    # Keys are per user: the same key string under another user was its own slot all along.
    for (user, key), (fp, status, body) in stored.items():
        row = _row(idem_db, user, key)
        assert row is not None and (row.request_hash, row.response_status) == (fp, status)
        assert rendered(row.response_body) == body


def test_same_key_for_two_users_runs_twice(idem_db: Database) -> None:
    alice, bob = _users(2)
    fp = fingerprint("POST", PATH, {"payment": {"method": "card"}})
    a, b = Op("ok", 201, {"who": "alice"}), Op("ok", 201, {"who": "bob"})
    assert run_idempotent(idem_db, alice, "k-1", fp, a, wait_s=WAIT_S, lock_ttl_s=TTL_S) == (201, {"who": "alice"},
                                                                                                False)
    assert run_idempotent(idem_db, bob, "k-1", fp, b, wait_s=WAIT_S, lock_ttl_s=TTL_S) == (201, {"who": "bob"},
                                                                                              False)
    assert (a.calls, b.calls) == (1, 1)
    # and each replays its own answer
    assert run_idempotent(idem_db, bob, "k-1", fp, b, wait_s=WAIT_S, lock_ttl_s=TTL_S)[1] == {"who": "bob"}


@given(method=st.sampled_from(["post", "POST"]), body=bodies)
@settings(max_examples=50, deadline=None, database=None, derandomize=True)
def test_fingerprint_is_canonical(method: str, body: dict) -> None:
    """Key order and method case do not matter; path and body content do."""
    shuffled = dict(reversed(list(body.items())))
    assert fingerprint(method, PATH, body) == fingerprint("POST", PATH, shuffled)
    assert fingerprint("POST", PATH, body) != fingerprint("POST", PATH + "x", body)
    assert fingerprint("POST", PATH, body) != fingerprint("POST", PATH, {**body, "extra-field": 1})


# ---- concurrency ------------------------------------------------------------------------------------
def _race(db: Database, n: int, calls: list[tuple[str, str, str, Any]]) -> list[Any]:
    """Run ``run_idempotent`` for each (user, key, fp, op) in its own thread, all released at once."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        user, key, fp, op = calls[i]
        barrier.wait()
        try:
            results[i] = run_idempotent(db, user, key, fp, op, wait_s=WAIT_S, lock_ttl_s=TTL_S)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racing request hung"
    return results


@pytest.mark.parametrize("n", [2, 8])
def test_racing_requests_run_the_operation_exactly_once(idem_db: Database, n: int) -> None:
    (user,) = _users(1)
    fp = fingerprint("POST", PATH, {"payment": {"method": "card", "card_token": "tok_visa"}})
    op = Op("ok", 201, {"order": {"id": "ord_1", "total_minor": 49_900}, "payment": None}, delay_s=0.2)
    results = _race(idem_db, n, [(user, "race-key", fp, op)] * n)
    assert op.calls == 1, f"the operation ran {op.calls} times for one key"
    assert all(isinstance(r, tuple) for r in results), results
    assert {(s, rendered(b)) for s, b, _ in results} == {(201, rendered(op.payload))}
    assert sorted(r[2] for r in results) == [False] + [True] * (n - 1)


def test_racing_mixed_fingerprints_one_runs_others_conflict_or_replay(idem_db: Database) -> None:
    (user,) = _users(1)
    fps = [fingerprint("POST", PATH, {"n": i % 2}) for i in range(6)]
    op = Op("ok", 201, {"ok": True}, delay_s=0.2)
    results = _race(idem_db, 6, [(user, "mixed", fp, op) for fp in fps])
    assert op.calls == 1
    winner_fp = _row(idem_db, user, "mixed").request_hash
    for fp, result in zip(fps, results, strict=True):
        if fp == winner_fp:
            assert isinstance(result, tuple) and result[:2] == (201, {"ok": True}), result
        else:
            assert isinstance(result, ApiError) and result.status == 409, result


def test_a_crashing_winner_lets_exactly_one_waiter_take_over(idem_db: Database) -> None:
    (user,) = _users(1)
    fp = fingerprint("POST", PATH, {"payment": {"method": "upi"}})
    attempts = Counter()
    lock = threading.Lock()

    def op() -> tuple[int, Any]:
        with lock:
            attempts["n"] += 1
            first = attempts["n"] == 1
        time.sleep(0.2)
        if first:
            raise RuntimeError("processor exploded")
        return 201, {"charged": True}

    results = _race(idem_db, 5, [(user, "crash-key", fp, op)] * 5)
    crashed = [r for r in results if isinstance(r, RuntimeError)]
    answered = [r for r in results if isinstance(r, tuple)]
    assert attempts["n"] == 2, f"expected the crash plus exactly one retry, got {attempts['n']} executions"
    assert len(crashed) == 1 and len(answered) == 4, results
    assert all(r[:2] == (201, {"charged": True}) for r in answered), answered
    assert sorted(r[2] for r in answered) == [False, True, True, True]


def test_stale_in_progress_row_is_taken_over_once(idem_db: Database) -> None:
    (user,) = _users(1)
    fp = fingerprint("POST", PATH, {"payment": {"method": "card"}})
    _insert_in_progress(idem_db, user, "stale", fp, age_s=30)
    op = Op("ok", 201, {"taken_over": True}, delay_s=0.1)
    barrier = threading.Barrier(4)
    results: list[Any] = [None] * 4

    def worker(i: int) -> None:
        barrier.wait()
        try:
            results[i] = run_idempotent(idem_db, user, "stale", fp, op, wait_s=WAIT_S, lock_ttl_s=5)
        except BaseException as exc:  # noqa: BLE001
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert op.calls == 1, f"a stale lock was taken over {op.calls} times"
    assert all(isinstance(r, tuple) and r[:2] == (201, {"taken_over": True}) for r in results), results


def test_fresh_in_progress_row_makes_a_waiter_give_up_with_409(idem_db: Database) -> None:
    (user,) = _users(1)
    fp = fingerprint("POST", PATH, {"payment": {"method": "card"}})
    _insert_in_progress(idem_db, user, "busy", fp, age_s=0)
    op = Op("ok", 201, {})
    with pytest.raises(ApiError) as err:
        run_idempotent(idem_db, user, "busy", fp, op, wait_s=0.3, lock_ttl_s=TTL_S)
    assert err.value.status == 409 and err.value.headers == {"Retry-After": "1"}
    assert op.calls == 0
    # a different fingerprint is refused at once, even while the original is still running
    started = time.monotonic()
    with pytest.raises(ApiError) as err:
        run_idempotent(idem_db, user, "busy", fingerprint("POST", PATH, {"other": 1}), op, wait_s=WAIT_S,
                       lock_ttl_s=TTL_S)
    assert err.value.status == 409 and time.monotonic() - started < 5
    assert op.calls == 0


# ---- helpers ----------------------------------------------------------------------------------------
def _row(db: Database, user: str, key: str) -> IdempotencyKey | None:
    from sqlalchemy import select

    with db.read_session() as s:
        row = s.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user, IdempotencyKey.key == key))
        if row is not None:
            s.expunge(row)
        return row


def _insert_in_progress(db: Database, user: str, key: str, fp: str, age_s: float) -> None:
    with db.begin() as s:
        s.add(IdempotencyKey(id=new_id("idem"), user_id=user, key=key, request_hash=fp, status="in_progress",
                             locked_at=utcnow() - timedelta(seconds=age_s)))


def test_rendered_bytes_helper_matches_the_router() -> None:
    """Sanity for the byte-for-byte comparison: the router renders JSON exactly like this."""
    assert rendered({"a": "é", "b": [1, 2.5]}) == json.dumps({"a": "é", "b": [1, 2.5]}, ensure_ascii=False,
                                                              separators=(",", ":")).encode()

