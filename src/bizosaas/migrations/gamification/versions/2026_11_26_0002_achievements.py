"""Achievements: look up a member's progress by member

The progress key leads with (tenant_id, achievement_id); a member's achievements
page and an erasure ask for one member across all achievements.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_achievement_progress_tenant_id_user_id",
        "achievement_progress",
        ["tenant_id", "user_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_achievement_progress_tenant_id_user_id", table_name="achievement_progress")
