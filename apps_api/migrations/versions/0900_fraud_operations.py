"""fraud operations: rules, value lists, the rule that decided a payment, the review queue

Revision ID: 0900_fraud_operations
Revises: 0800_tutor
Create Date: 2026-12-02 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import apps_api.db

revision = "0900_fraud_operations"
down_revision = "0800_tutor"
branch_labels = None
depends_on = None

UTC = apps_api.db.UTCDateTime(timezone=True)
PAYMENT_COLUMNS = (
    sa.Column("fraud_rule", sa.String(64), nullable=True),
    sa.Column("fraud_rule_action", sa.String(8), nullable=True),
    sa.Column("review_claimed_by", sa.String(40), nullable=True),
    sa.Column("review_claimed_at", UTC, nullable=True),
    sa.Column("reviewed_by", sa.String(40), nullable=True),
    sa.Column("reviewed_at", UTC, nullable=True),
    sa.Column("review_decision", sa.String(8), nullable=True),
    sa.Column("review_note", sa.String(1000), nullable=True),
)


def upgrade() -> None:
    op.create_table(
        "fraud_rules",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("condition", sa.String(2000), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )
    op.create_table(
        "fraud_value_lists",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("description", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_table(
        "fraud_value_list_items",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("list_id", sa.String(40), sa.ForeignKey("fraud_value_lists.id"), nullable=False, index=True),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.UniqueConstraint("list_id", "value"),
    )
    with op.batch_alter_table("payments") as batch:
        for column in PAYMENT_COLUMNS:
            batch.add_column(column.copy())
    op.create_index("ix_payments_status_created", "payments", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_payments_status_created", table_name="payments")
    with op.batch_alter_table("payments") as batch:
        for column in reversed(PAYMENT_COLUMNS):
            batch.drop_column(column.name)
    op.drop_table("fraud_value_list_items")
    op.drop_table("fraud_value_lists")
    op.drop_table("fraud_rules")
