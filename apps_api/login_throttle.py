"""Login throttling: failed passwords slow down per account and per address.

The request-rate limiter counts every request, so a patient attacker guessing
passwords stays under it. This counts *failures*: after ``free_failures``
failures within ``window_s`` for one account (or ``free_failures_per_address``
for one address), the next attempt must wait, and the wait doubles with each
further failure up to ``max_backoff_s``. A successful login clears the
account's count (not the address's: one address guessing many accounts stays
slowed). Counts live in memory locally and in Redis in prod, so every API
replica sees the same failures.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

from apps_api.errors import ApiError
from apps_api.ratelimit import retry_after


class FailureStore(Protocol):
    def record(self, key: str, window_s: float) -> int:
        """Count one failure; returns the failures in the window that started with the first."""
        ...

    def block(self, key: str, until: float) -> None:
        """Refuse attempts on ``key`` until the epoch time ``until``."""
        ...

    def blocked_until(self, key: str) -> float:
        """Epoch seconds before which attempts are refused (0 when free)."""
        ...

    def clear(self, key: str) -> None: ...


class MemoryFailureStore:
    def __init__(self, max_keys: int = 100_000) -> None:
        self._rows: dict[str, list[float]] = {}  # key -> [count, first, blocked_until]
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def record(self, key: str, window_s: float) -> int:
        now = time.time()
        with self._lock:
            row = self._rows.get(key)
            if row is None or now - row[1] > window_s:
                if len(self._rows) >= self._max_keys:
                    self._rows.clear()  # bound memory under key floods
                row = self._rows[key] = [0.0, now, 0.0]
            row[0] += 1
            return int(row[0])

    def block(self, key: str, until: float) -> None:
        with self._lock:
            if key in self._rows:
                self._rows[key][2] = until

    def blocked_until(self, key: str) -> float:
        with self._lock:
            row = self._rows.get(key)
            return row[2] if row else 0.0

    def clear(self, key: str) -> None:
        with self._lock:
            self._rows.pop(key, None)


_RECORD_LUA = """
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])  -- the window starts with the first failure
end
return n
"""


class RedisFailureStore:
    """Shared across replicas. Failing closed on a Redis outage would lock every learner
    out, so like the rate limiter it fails open and lets the password check decide."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)
        self._record = self._redis.register_script(_RECORD_LUA)
        self._prefix = prefix

    def record(self, key: str, window_s: float) -> int:
        import redis

        try:
            return int(self._record(keys=[self._prefix + key], args=[int(window_s * 1000)]))
        except redis.RedisError:
            return 0

    def block(self, key: str, until: float) -> None:
        import redis

        try:
            self._redis.hset(self._prefix + key, "until", until)
        except redis.RedisError:
            pass

    def blocked_until(self, key: str) -> float:
        import redis

        try:
            value = self._redis.hget(self._prefix + key, "until")
        except redis.RedisError:
            return 0.0
        return float(value) if value else 0.0

    def clear(self, key: str) -> None:
        import redis

        try:
            self._redis.delete(self._prefix + key)
        except redis.RedisError:
            pass


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = 5
    free_failures_per_address: int = 20
    window_s: float = 900.0
    base_backoff_s: float = 1.0
    max_backoff_s: float = 900.0


class LoginThrottle:
    """Ask :meth:`check` before verifying a password, then report the outcome."""

    def __init__(self, store: FailureStore, policy: ThrottlePolicy | None = None) -> None:
        self.store = store
        self.policy = policy or ThrottlePolicy()

    def _keys(self, email: str, address: str) -> tuple[tuple[str, int], tuple[str, int]]:
        p = self.policy
        return (f"acct:{email}", p.free_failures), (f"addr:{address}", p.free_failures_per_address)

    def check(self, email: str, address: str) -> None:
        """429 with ``Retry-After`` while the account or the address is backing off."""
        now = time.time()
        for key, _free in self._keys(email, address):
            wait = self.store.blocked_until(key) - now
            if wait > 0:
                who = "this account" if key.startswith("acct:") else "your address"
                raise ApiError(429, f"too many failed logins for {who}; retry in {retry_after(wait)} s "
                                    "or reset your password", headers={"Retry-After": retry_after(wait)})

    def failed(self, email: str, address: str) -> None:
        p = self.policy
        for key, free in self._keys(email, address):
            count = self.store.record(key, p.window_s)
            if count >= free:
                backoff = min(p.max_backoff_s, p.base_backoff_s * 2 ** (count - free))
                self.store.block(key, time.time() + backoff)

    def succeeded(self, email: str) -> None:
        self.store.clear(f"acct:{email}")
