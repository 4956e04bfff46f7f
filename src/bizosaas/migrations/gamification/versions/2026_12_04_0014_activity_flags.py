"""Unusual activity an admin has looked at (``activity_flags``, under row-level security):
each member the AchievementSystemAgent flags on a day is kept, ``open`` until a tenant
admin dismisses it (it is not reported again that day) or confirms it (it stays listed,
marked confirmed, for the admin to act on).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bizosaas.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activity_flags",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Integer(), nullable=False),
        sa.Column("usual", sa.Float(), nullable=False),
        sa.Column("peers", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_flags")),
    )
    op.create_index(
        "uq_activity_flags_tenant_id_user_id_day",
        "activity_flags",
        ["tenant_id", "user_id", "day"],
        unique=True,
    )
    enable_tenant_rls("activity_flags")


def downgrade() -> None:
    disable_tenant_rls("activity_flags")
    op.drop_table("activity_flags")
