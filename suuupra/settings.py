"""One typed settings object for the whole platform.

Every component reads its configuration from :func:`get_settings`, never from
``os.environ`` directly, and never at import time: Dagster, Ray and uvicorn import
our modules often, and a module that reads the environment on import freezes
whatever happened to be set in the importing process.

Two profiles share one code path:

* ``local`` (default): everything embedded under one data directory.
* ``prod``: external services (PostgreSQL, Redis, Qdrant server, MLflow server,
  a Ray cluster, a Spark master, a Flink cluster, Kafka, vLLM).

Variables are prefixed ``SUUUPRA_`` (nested with ``__``), e.g.
``SUUUPRA_PROFILE=prod``, ``SUUUPRA_DATABASE_URL=postgresql+psycopg://...``.
The prod profile refuses to start with a dev-default, short or placeholder secret
(``SUUUPRA_JWT_SECRET``, ``SUUUPRA_MEDIA_SIGNING_SECRET``,
``SUUUPRA_SERVE_SERVICE_TOKEN``).
"""

from __future__ import annotations

import functools
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Profile(StrEnum):
    local = "local"
    prod = "prod"


class EventLogBackend(StrEnum):
    local = "local"
    kafka = "kafka"


class SettingsError(RuntimeError):
    """Raised when the environment holds settings we cannot run with.

    The message names the offending variable so an operator can fix it without
    reading a pydantic traceback.
    """


#: Secrets the prod profile refuses to start with when weak (see :func:`secret_weakness`).
PROD_SECRETS = ("jwt_secret", "media_signing_secret", "serve_service_token")
MIN_SECRET_CHARS = 32
GENERATE_SECRET_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
# Markers of a value typed by hand instead of generated, compared without case or
# separators. All are 7+ letters, so a random token contains one by chance with
# negligible probability.
_PLACEHOLDER_MARKERS = ("devonly", "changeme", "replaceme", "placeholder", "insecure", "yoursecret")
_MIN_DISTINCT_CHARS = 8


def secret_weakness(value: str, dev_default: str = "") -> str | None:
    """Why ``value`` is not good enough as a prod secret, or None when it is.

    Length alone is not enough: the dev defaults are 32+ characters, and so is
    ``"x" * 40``; those are refused as well.
    """
    if dev_default and value == dev_default:
        return "it is the development default"
    if len(value) < MIN_SECRET_CHARS:
        return f"it is {len(value)} characters long"
    folded = "".join(ch for ch in value.lower() if ch.isalnum())
    if any(marker in folded for marker in _PLACEHOLDER_MARKERS):
        return "it looks like a placeholder"
    if len(set(value)) < _MIN_DISTINCT_CHARS:
        return "it repeats too few distinct characters"
    return None


class Settings(BaseSettings):
    """Effective platform configuration.

    Values left as ``None`` are derived from the profile and ``data_dir`` in
    :meth:`_fill_profile_defaults`, so a bare ``Settings()`` is a working local
    setup and ``Settings(profile="prod", <secrets>)`` points at the standard prod
    services. The secrets in :data:`PROD_SECRETS` have dev defaults that only the
    local profile accepts.
    """

    model_config = SettingsConfigDict(
        env_prefix="SUUUPRA_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    profile: Profile = Profile.local
    data_dir: Path = Field(default=PROJECT_ROOT / "data", description="Root of all local state.")

    # Event log
    event_log_backend: EventLogBackend | None = None
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_topic_prefix: str = "suuupra."
    flink_kafka_connector_jar: Path | None = None

    # Storage and services
    database_url: str | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    mlflow_tracking_uri: str | None = None
    ray_address: str | None = None
    spark_master: str | None = None
    flink_jobmanager: str | None = None

    # Feast
    feast_registry_url: str | None = None
    feast_project: str = Field(default="suuupra", pattern=r"^[A-Za-z0-9][A-Za-z0-9_]*$")
    feast_registry_ttl_s: int = Field(default=60, ge=0)
    feast_online_budget_ms: float = Field(default=100.0, gt=0)
    # None = by profile (local: file + sqlite, prod: spark + redis)
    feast_offline_store: Literal["file", "spark"] | None = None
    feast_online_store: Literal["sqlite", "redis"] | None = None

    # Serving / LLM
    serve_host: str = "127.0.0.1"
    serve_port: int = Field(default=8000, ge=1, le=65535)
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=1, le=65535)
    dagster_port: int = Field(default=3000, ge=1, le=65535)
    mlflow_ui_port: int = Field(default=5000, ge=1, le=65535)
    docs_port: int = Field(default=8765, ge=1, le=65535)
    llm_base_url: str | None = None
    llm_model: str = "SmolLM2-135M-Instruct"
    llm_api_key: SecretStr = SecretStr("not-needed")
    vllm_model: str = "Qwen/Qwen2.5-7B-Instruct"
    vllm_tensor_parallel_size: int = Field(default=1, ge=1)
    vllm_max_model_len: int = Field(default=8192, ge=512)
    # AI tutor: hard limits and budgets; see docs/tutor.md
    tutor_max_input_chars: int = Field(default=4000, ge=1)
    tutor_max_output_tokens: int = Field(default=256, ge=1)
    tutor_request_timeout_s: float = Field(default=60.0, gt=0)
    tutor_context_tokens: int = Field(default=640, ge=64)
    tutor_top_k: int = Field(default=3, ge=1, le=20)
    tutor_rate_limit_per_minute: int = Field(default=20, ge=1)
    # Who writes the tutor's text: "evidence" quotes the docs (cited, checked, no invented
    # code: the measured best on every generator tried here); "llm" asks the generator at
    # llm_base_url (for a large prod model, once it has been evaluated on the same set).
    tutor_composer: Literal["evidence", "llm"] = "evidence"
    # Page-kind prior on retrieval for learners (rag/tutor/ranking.py): "learner" ranks the
    # tutorial above the reference, C API and changelogs; the others exist to measure it.
    tutor_source_prior: Literal["learner", "changelog", "none"] = "learner"
    llm_num_threads: int = Field(default=1, ge=1)
    tutor_base_url: str | None = None  # None: http://{serve_host}:{serve_port}/tutor/v1
    fraud_scorer_url: str | None = None
    fraud_timeout_ms: int = Field(default=300, ge=1)

    # Security
    jwt_secret: SecretStr = SecretStr("dev-only-change-me-0123456789abcdef")
    access_token_ttl_s: int = Field(default=900, ge=1)
    refresh_token_ttl_s: int = Field(default=14 * 24 * 3600, ge=1)
    media_signing_secret: SecretStr = SecretStr("dev-only-media-secret-0123456789")
    # Bearer token callers (apps_api, the CLI, Dagster) present to the Serve routes
    # that score payments or change state (``/fraud/score``, ``/admin/reload``).
    serve_service_token: SecretStr = SecretStr("dev-only-serve-token-0123456789abcdef")

    # Spark tuning for small machines
    spark_shuffle_partitions: int = Field(default=4, ge=1)

    @field_validator(*PROD_SECRETS)
    @classmethod
    def _strong_in_prod(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        """Prod must not start with a guessable secret: a dev default in prod lets anyone
        mint login tokens, sign playback URLs or call the fraud scorer. The error names
        the variable to set, never the value."""
        if info.data.get("profile") is not Profile.prod:  # local, or the profile itself is invalid
            return value
        name = str(info.field_name)
        secret = value.get_secret_value()
        why = secret_weakness(secret, cls.model_fields[name].default.get_secret_value())
        # fields validate in declaration order, so earlier secrets are in info.data
        reused = [f for f in PROD_SECRETS if f != name and isinstance(info.data.get(f), SecretStr)
                  and info.data[f].get_secret_value() == secret]
        if why is None and reused:
            why = f"it is the same as SUUUPRA_{reused[0].upper()}"
        if why is not None:
            raise ValueError(
                f"SUUUPRA_{name.upper()} must be set to a random secret of at least {MIN_SECRET_CHARS} "
                f"characters for the prod profile ({why}); generate one with: {GENERATE_SECRET_HINT}"
            )
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @classmethod
    def profile_defaults(cls, profile: Profile, data_dir: Path) -> Settings:
        """The values a profile derives for ``data_dir``, without reading the environment
        or ``.env`` (for showing the defaults, e.g. in the Dagster UI's resource config)."""
        return cls.model_construct(profile=profile, data_dir=data_dir)._fill_profile_defaults()

    @model_validator(mode="after")
    def _fill_profile_defaults(self) -> Settings:
        local = self.profile is Profile.local
        if self.event_log_backend is None:
            self.event_log_backend = EventLogBackend.local if local else EventLogBackend.kafka
        if self.database_url is None:
            self.database_url = (
                f"sqlite:///{self.data_dir / 'apps_api.sqlite3'}"
                if local
                else "postgresql+psycopg://postgres@127.0.0.1:5432/test"
            )
        if self.mlflow_tracking_uri is None:
            self.mlflow_tracking_uri = (
                f"sqlite:///{self.data_dir / 'mlflow' / 'mlflow.db'}" if local else "http://127.0.0.1:5000"
            )
        if self.spark_master is None:
            self.spark_master = "local[*]" if local else "spark://127.0.0.1:7077"
        if self.llm_base_url is None:
            self.llm_base_url = f"http://{self.serve_host}:{self.serve_port}/llm/v1"
        if self.fraud_scorer_url is None:
            self.fraud_scorer_url = f"http://{self.serve_host}:{self.serve_port}/fraud/score"
        if not local and self.qdrant_url is None:
            self.qdrant_url = "http://127.0.0.1:6333"
        if not local and self.feast_registry_url is None:
            self.feast_registry_url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        return self

    # ---- derived paths (all local state lives under data_dir) ----
    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def events_dir(self) -> Path:
        return self.lake_dir / "events"

    @property
    def tables_dir(self) -> Path:
        return self.lake_dir / "tables"

    @property
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def feast_dir(self) -> Path:
        return self.data_dir / "feast"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster_home"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    def masked(self) -> dict[str, Any]:
        """Effective settings as plain values with secrets and URL passwords masked."""
        out: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr):
                out[name] = "**********" if value.get_secret_value() else ""
            elif isinstance(value, str) and "://" in value and "@" in value:
                scheme, rest = value.split("://", 1)
                creds, host = rest.rsplit("@", 1)
                user = creds.split(":", 1)[0]
                out[name] = f"{scheme}://{user}:****@{host}" if ":" in creds else value
            elif isinstance(value, Path):
                out[name] = str(value)
            else:
                out[name] = value.value if isinstance(value, StrEnum) else value
        return out


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment (and ``.env``), failing with a clear message.

    ``overrides`` take precedence over the environment; tests use them.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = "__".join(str(p) for p in err["loc"]) if err["loc"] else ""
            var = f"SUUUPRA_{loc.upper()}" if loc else "SUUUPRA_* settings"
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(msg if msg.startswith(var) else f"{var}: {msg}")
        raise SettingsError("Invalid settings:\n  " + "\n  ".join(problems)) from None


@functools.cache
def get_settings() -> Settings:
    """Process-wide settings, read lazily on first use (never at import time)."""
    return load_settings()


def reset_settings_cache() -> None:
    """Forget cached settings (tests and CLI ``--profile`` switch use this)."""
    get_settings.cache_clear()
