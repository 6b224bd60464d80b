"""The agenda: numbers of outgoing papers, per kind and year, given once and never reused.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agenda",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("request_id", sa.String(32), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "year", "seq", name="uq_agenda_kind_year_seq"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER agenda_no_{verb.lower()} BEFORE {verb} ON agenda "
                "BEGIN SELECT RAISE(ABORT, 'agenda is append-only'); END"
            )
    elif dialect == "postgresql":  # netprov_append_only() was created by 0001
        op.execute(
            "CREATE TRIGGER agenda_append_only BEFORE UPDATE OR DELETE ON agenda "
            "FOR EACH ROW EXECUTE FUNCTION netprov_append_only()"
        )


def downgrade() -> None:
    op.drop_table("agenda")
