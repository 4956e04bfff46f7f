"""Score jumps held out of a period's final ranks (``leaderboard_flags``, under row-level
security): the LeaderboardAgent flags a member whose period score is far beyond their own
best and everybody else's when the period is archived; the flagged entry gets no final
rank until a tenant admin clears it (it is then ranked) or upholds it (it stays out).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bizosaas.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leaderboard_flags",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("leaderboard_id", sa.UUID(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("score", sa.Numeric(precision=24, scale=4), nullable=False),
        sa.Column("own_best", sa.Numeric(precision=24, scale=4), nullable=False),
        sa.Column("others_best", sa.Numeric(precision=24, scale=4), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["leaderboard_id"],
            ["leaderboards.id"],
            name=op.f("fk_leaderboard_flags_leaderboard_id_leaderboards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leaderboard_flags")),
    )
    op.create_index(
        "uq_leaderboard_flags_entry",
        "leaderboard_flags",
        ["tenant_id", "leaderboard_id", "period_start", "member_id"],
        unique=True,
    )
    op.create_index(
        "ix_leaderboard_flags_tenant_id_status_created_at",
        "leaderboard_flags",
        ["tenant_id", "status", "created_at"],
    )
    enable_tenant_rls("leaderboard_flags")


def downgrade() -> None:
    disable_tenant_rls("leaderboard_flags")
    op.drop_table("leaderboard_flags")
