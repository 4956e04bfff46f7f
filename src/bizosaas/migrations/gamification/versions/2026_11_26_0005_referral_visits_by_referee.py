"""Referral visits by referee: a qualifying event looks up the referee's signup.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 02:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_referral_visits_tenant_id_referee_id ON referral_visits "
        "(tenant_id, referee_id) WHERE referee_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_referral_visits_tenant_id_referee_id")
