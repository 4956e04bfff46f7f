"""A leaderboard may be a contest: only what happens inside its window counts.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("leaderboards", sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("leaderboards", sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("leaderboards", "ends_at")
    op.drop_column("leaderboards", "starts_at")
