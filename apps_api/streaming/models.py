"""Streaming tables on the API's declarative Base (migration ``0100_streaming``).

Tables are prefixed ``stream_`` so they never collide with the core schema.
Job and asset state live in the database (not in a Ray actor or a file) so the
API, the Ray workers and a retry after a crash all see the same truth.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

import apps_api.models  # noqa: F401  (our foreign keys point at users/courses: register them too)
from apps_api.db import Base, utcnow

ASSET_STATUSES = ("uploaded", "processing", "ready", "failed")
JOB_STATUSES = ("queued", "running", "done", "failed")
LIVE_STATUSES = ("scheduled", "live", "ended")


class VideoAsset(Base):
    __tablename__ = "stream_video_assets"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[str | None] = mapped_column(String(40), index=True)
    lesson_id: Mapped[str | None] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="upload")  # upload | recording
    status: Mapped[str] = mapped_column(String(16), default="uploaded")
    source_key: Mapped[str] = mapped_column(String(300))
    source_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    probe: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    renditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]


class TranscodeJob(Base):
    __tablename__ = "stream_transcode_jobs"
    __table_args__ = (Index("ix_stream_jobs_status", "status", "id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("stream_video_assets.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    renditions_done: Mapped[list[str]] = mapped_column(JSON, default=list)
    executor: Mapped[str] = mapped_column(String(16), default="ray")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class UploadSession(Base):
    """A resumable chunked upload: chunks append at ``received_bytes`` until ``total_bytes``."""

    __tablename__ = "stream_upload_sessions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    lesson_id: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200), default="")
    total_bytes: Mapped[int] = mapped_column(BigInteger)
    received_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | complete | aborted
    asset_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LiveSession(Base):
    __tablename__ = "stream_live_sessions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), index=True)
    instructor_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    scheduled_at: Mapped[datetime | None]
    stream_key_hash: Mapped[str | None] = mapped_column(String(64))
    ingest_port: Mapped[int | None] = mapped_column(Integer)
    recording_asset_id: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
