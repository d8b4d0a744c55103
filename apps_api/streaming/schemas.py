"""Request and response bodies of the streaming routes (documented in OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from apps_api.contract import ByteCount, Raw, Text, UtcDatetime


class UploadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: Raw(255, min_length=1)
    total_bytes: ByteCount(ge=1)
    title: Text(200) = ""
    lesson_id: Raw(40, min_length=1) | None = None


class HeartbeatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lesson_id: Raw(40, min_length=1) | None = None
    session_id: Text(80) = ""
    position_s: float = Field(ge=0, le=7 * 86_400, allow_inf_nan=False)
    seconds_watched: float = Field(ge=0, le=300, allow_inf_nan=False,
                                   description="seconds watched since the previous heartbeat")
    # video.progress carries this delta (analytics SUM it) and completed=True only on the
    # heartbeat that completes the lesson (analytics count completions from it).
    rendition: Text(16) = ""
    ended: bool = False


class LiveCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    course_id: Raw(40, min_length=1)
    title: Text(200) = ""
    scheduled_at: UtcDatetime | None = None


class RenditionOut(BaseModel):
    name: str
    width: int | None = None
    height: int | None = None
    bandwidth: int | None = None
    codecs: str | None = None


class JobOut(BaseModel):
    id: str
    asset_id: str
    status: str
    reason: str | None
    attempts: int
    renditions_done: list[str]
    executor: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class AssetOut(BaseModel):
    id: str
    status: str
    kind: Literal["upload", "recording"]
    title: str
    lesson_id: str | None
    course_id: str | None
    duration_s: float
    width: int
    height: int
    source_bytes: int
    playable: bool
    renditions: list[RenditionOut]
    created_at: datetime
    ready_at: datetime | None
    job: JobOut | None = None


class UploadOut(BaseModel):
    id: str
    status: Literal["open", "complete", "aborted"]
    offset: int
    total_bytes: int
    max_chunk_bytes: int
    asset_id: str | None
    asset: AssetOut | None = Field(default=None, description="set by the chunk that completes the upload")


class PlaybackOut(BaseModel):
    asset_id: str
    lesson_id: str | None
    expires_at: int
    duration_s: float
    hls: str
    poster: str
    thumbnails: str | None = None


class HeartbeatOut(BaseModel):
    lesson_id: str
    position_s: float
    seconds_watched: float
    completed: bool


class LiveOut(BaseModel):
    id: str
    course_id: str
    title: str
    status: Literal["scheduled", "live", "ended"]
    scheduled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    recording_asset_id: str | None
    reason: str | None


class LiveStartOut(LiveOut):
    stream_key: str = Field(description="shown once: the SRT passphrase of this session")
    ingest_url: str
    publish_example: str


class LivePlaybackOut(BaseModel):
    session_id: str
    expires_at: int
    hls: str
