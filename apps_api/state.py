"""Everything one app instance owns, stored on ``app.state.suuupra``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher

from apps_api.config import ApiConfig
from apps_api.db import Database
from apps_api.fraud import FraudClient
from apps_api.login_throttle import LoginThrottle
from apps_api.processor import SimulatedProcessor
from apps_api.streaming.runtime import Runtime
from suuupra.settings import Settings


@dataclass
class AppState:
    settings: Settings
    config: ApiConfig
    db: Database
    hasher: PasswordHasher
    fraud: FraudClient
    processor: SimulatedProcessor
    jwt_secret: str
    login_throttle: LoginThrottle
    streaming: Runtime
    extras: dict[str, Any] = field(default_factory=dict)
