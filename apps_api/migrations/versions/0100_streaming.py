"""streaming: video assets, transcode jobs, upload sessions, live sessions

Revision ID: 0100_streaming
Revises: 0001
Create Date: 2026-11-24 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import apps_api.db

revision = "0100_streaming"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = apps_api.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "stream_video_assets",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("course_id", sa.String(40), nullable=True, index=True),
        sa.Column("lesson_id", sa.String(40), nullable=True, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source_key", sa.String(300), nullable=False),
        sa.Column("source_bytes", sa.BigInteger(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("probe", sa.JSON(), nullable=False),
        sa.Column("renditions", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("ready_at", UTC, nullable=True),
    )
    op.create_table(
        "stream_transcode_jobs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("asset_id", sa.String(40), sa.ForeignKey("stream_video_assets.id"), nullable=False,
                  index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("renditions_done", sa.JSON(), nullable=False),
        sa.Column("executor", sa.String(16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("heartbeat_at", UTC, nullable=True),
        sa.Column("finished_at", UTC, nullable=True),
    )
    op.create_index("ix_stream_jobs_status", "stream_transcode_jobs", ["status", "id"])
    op.create_table(
        "stream_upload_sessions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("lesson_id", sa.String(40), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("total_bytes", sa.BigInteger(), nullable=False),
        sa.Column("received_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("asset_id", sa.String(40), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_table(
        "stream_live_sessions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("course_id", sa.String(40), sa.ForeignKey("courses.id"), nullable=False, index=True),
        sa.Column("instructor_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("scheduled_at", UTC, nullable=True),
        sa.Column("stream_key_hash", sa.String(64), nullable=True),
        sa.Column("ingest_port", sa.Integer(), nullable=True),
        sa.Column("recording_asset_id", sa.String(40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("ended_at", UTC, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("stream_live_sessions")
    op.drop_table("stream_upload_sessions")
    op.drop_index("ix_stream_jobs_status", table_name="stream_transcode_jobs")
    op.drop_table("stream_transcode_jobs")
    op.drop_table("stream_video_assets")
