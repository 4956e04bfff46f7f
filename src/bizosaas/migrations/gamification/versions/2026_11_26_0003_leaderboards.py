"""Leaderboards: the period of each rejection, archived standings in final order, and the
cross-tenant index of platform boards

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A replay from some instant forgets the rejections of the periods it recomputes.
    op.add_column(
        "leaderboard_rejections",
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_leaderboard_rejections_tenant_id_leaderboard_id_id",
        "leaderboard_rejections",
        ["tenant_id", "leaderboard_id", "id"],
    )
    # Archived standings are read page by page in final order; only archived rows are indexed.
    op.create_index(
        "ix_leaderboard_entries_final_rank",
        "leaderboard_entries",
        ["tenant_id", "leaderboard_id", "period_start", "final_rank"],
        postgresql_where=sa.text("final_rank IS NOT NULL"),
    )
    # A tenant's row on a platform board is its own (tenant_id = member_id = the tenant), so
    # ranking tenants reads across tenants; this small partial index holds only those rows.
    op.create_index(
        "ix_leaderboard_entries_platform",
        "leaderboard_entries",
        ["leaderboard_id", "period_start"],
        postgresql_where=sa.text("member_id = tenant_id"),
    )


def downgrade() -> None:
    op.drop_index("ix_leaderboard_entries_platform", table_name="leaderboard_entries")
    op.drop_index(
        "ix_leaderboard_entries_final_rank",
        table_name="leaderboard_entries",
    )
    op.drop_index(
        "ix_leaderboard_rejections_tenant_id_leaderboard_id_id",
        table_name="leaderboard_rejections",
    )
    op.drop_column("leaderboard_rejections", "period_start")
