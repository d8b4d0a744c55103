"""API-only knobs (limits, fees, simulator behaviour), separate from platform settings.

Platform-wide values (database URL, JWT secret, fraud scorer URL and timeout)
come from the platform settings; these are only meaningful to this service, so
they live here under the ``SUUUPRA_API_`` prefix. Both are read at the edge
(:func:`apps_api.main.create_app` or its caller), never at import time.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SUUUPRA_API_", extra="ignore")

    # Hardening
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    rate_limit_enabled: bool = True
    rate_limit_backend: Literal["auto", "memory", "redis"] = "auto"  # auto: memory locally, redis in prod
    ip_rate_per_s: float = Field(default=50.0, gt=0)
    ip_burst: int = Field(default=200, ge=1)
    user_rate_per_s: float = Field(default=20.0, gt=0)
    user_burst: int = Field(default=100, ge=1)
    redis_key_prefix: str = "suuupra:api:rl:"
    # Failed logins: free attempts per account / per address, then a doubling wait.
    login_free_failures: int = Field(default=5, ge=1, le=1000)
    login_free_failures_per_address: int = Field(default=20, ge=1, le=100_000)
    login_window_s: float = Field(default=900.0, gt=0)
    login_max_backoff_s: float = Field(default=900.0, gt=0)
    # Addresses of reverse proxies whose X-Forwarded-For / -Proto uvicorn may believe.
    # Empty (the default): forwarded headers are ignored and the peer address is the client.
    trusted_proxies: list[str] = []

    def proxy_options(self) -> dict[str, Any]:
        """uvicorn's forwarded-header options. Off unless proxies are configured: uvicorn
        otherwise believes X-Forwarded-For from 127.0.0.1, and anyone on the host could
        then pick the address the rate limiter and login throttle see."""
        if not self.trusted_proxies:
            return {"proxy_headers": False}
        return {"proxy_headers": True, "forwarded_allow_ips": ",".join(self.trusted_proxies)}
    log_requests: bool = True
    check_migrations: bool = True

    # Money
    platform_fee_bps: int = Field(default=1500, ge=0, le=10_000)  # 15% platform fee

    # Fraud fallback policy (see apps_api.fraud)
    fraud_fallback_approve_max_minor: int = Field(default=200_000, ge=0)

    # Simulated processor
    processor_decline_rate: float = Field(default=0.0, ge=0, le=1)
    processor_timeout_rate: float = Field(default=0.0, ge=0, le=1)
    processor_timeout_s: float = Field(default=1.0, ge=0)
    processor_seed: int | None = None

    # Idempotency: how long a duplicate waits for the in-flight original before a 409.
    idempotency_wait_s: float = Field(default=15.0, ge=0)
    idempotency_lock_ttl_s: float = Field(default=120.0, gt=0)

    # Password hashing (argon2id; OWASP minimum profile by default, tests lower it)
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_memory_kib: int = Field(default=19_456, ge=8)
    argon2_parallelism: int = Field(default=1, ge=1)

    # Outbox relay inside the API process (0 = off; run `suuupra api relay` instead)
    relay_interval_s: float = Field(default=0.0, ge=0)
