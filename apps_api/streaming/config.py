"""Streaming-only knobs under the ``SUUUPRA_STREAMING_`` prefix.

Platform-wide values (``media_dir``, ``media_signing_secret``, ``ray_address``)
stay in :mod:`suuupra.settings`; these only matter to this package, so they live
here and are read lazily (never at import time).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StreamingConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SUUUPRA_STREAMING_", extra="ignore")

    # Storage: "local" = a directory under settings.media_dir; "s3" = any S3-compatible endpoint.
    storage: Literal["auto", "local", "s3"] = "auto"  # auto: local in local profile, s3 in prod
    s3_bucket: str = "suuupra-media"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"

    # Upload limits
    max_upload_bytes: int = Field(default=2 * 1024**3, ge=1024)
    max_chunk_bytes: int = Field(default=16 * 1024**2, ge=1024)
    max_duration_s: float = Field(default=4 * 3600, gt=0)
    allowed_extensions: tuple[str, ...] = (".mp4", ".mov", ".mkv", ".webm", ".m4v", ".avi", ".ts")

    # Transcoding
    executor: Literal["ray", "thread", "inline"] = "ray"
    preset: str = "veryfast"
    segment_s: int = Field(default=2, ge=1, le=10)
    max_attempts: int = Field(default=3, ge=1)
    stale_running_s: float = Field(default=3600.0, gt=0)  # a "running" job older than this is crashed
    ffmpeg_threads: int = Field(default=0, ge=0)  # 0 = ffmpeg decides

    # Playback
    url_ttl_s: int = Field(default=3600, ge=10)

    # Live
    live_host: str = "127.0.0.1"
    live_port_min: int = Field(default=19350, ge=1024, le=65535)
    live_port_max: int = Field(default=19449, ge=1024, le=65535)
    live_list_size: int = Field(default=6, ge=2)
    chat_max_chars: int = Field(default=500, ge=1)
    chat_history: int = Field(default=200, ge=0)


def get_streaming_config() -> StreamingConfig:
    return StreamingConfig()
