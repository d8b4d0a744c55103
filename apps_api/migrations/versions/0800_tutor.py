"""tutor: conversations and messages

Revision ID: 0800_tutor
Revises: 0100_streaming
Create Date: 2026-11-24 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import apps_api.db

revision = "0800_tutor"
down_revision = "0100_streaming"
branch_labels = None
depends_on = None

UTC = apps_api.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tutor_conversations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("course_id", sa.String(40), nullable=False, server_default=""),
        sa.Column("mode", sa.String(16), nullable=False, server_default="answer"),
        sa.Column("title", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )
    op.create_table(
        "tutor_messages",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("conversation_id", sa.String(40), sa.ForeignKey("tutor_conversations.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("refusal_kind", sa.String(16), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_tutor_messages_conv_seq", "tutor_messages", ["conversation_id", "seq"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_tutor_messages_conv_seq", table_name="tutor_messages")
    op.drop_table("tutor_messages")
    op.drop_table("tutor_conversations")
