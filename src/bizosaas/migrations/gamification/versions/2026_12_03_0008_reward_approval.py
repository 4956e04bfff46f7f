"""Rewards a tenant admin approves: a program may hold each reward for approval
(``manual_approval``); ledger entries may be ``unapproved`` or ``paid`` (the status
column is free text) and note who approved or paid them, and when.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 17:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "referral_programs",
        sa.Column("manual_approval", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("reward_ledger", sa.Column("decided_by", sa.UUID(), nullable=True))
    op.add_column(
        "reward_ledger", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True)
    )
    # The ledger is listed by status across a tenant (the admin's rewards page).
    op.create_index(
        "ix_reward_ledger_tenant_id_status_created_at",
        "reward_ledger",
        ["tenant_id", "status", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_reward_ledger_tenant_id_status_created_at", table_name="reward_ledger")
    op.drop_column("reward_ledger", "decided_at")
    op.drop_column("reward_ledger", "decided_by")
    op.drop_column("referral_programs", "manual_approval")
