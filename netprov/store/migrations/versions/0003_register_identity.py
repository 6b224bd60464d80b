"""Register identity: a small metadata table holding the register's uuid.

The uuid is made when the register is created (or first migrated to this revision) and never
changes; netprov stamps it on what it creates in NetBox and monitoring.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    meta = op.create_table(
        "register_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.bulk_insert(meta, [{"key": "register_id", "value": str(uuid.uuid4())}])


def downgrade() -> None:
    op.drop_table("register_meta")
