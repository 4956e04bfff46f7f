"""Leaderboards: the column that says whether a board ranks members or tenants is ``kind``
(it was ``scope``, a word the platform also uses for row-level security and API keys).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("leaderboards", "scope", new_column_name="kind")


def downgrade() -> None:
    op.alter_column("leaderboards", "kind", new_column_name="scope")
