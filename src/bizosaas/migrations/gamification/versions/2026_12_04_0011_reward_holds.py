"""Reward holds run on Temporal: each held grant records where its hold stands
(``hold_state``: ``due`` until its workflow is started, ``running``, then ``over``; NULL
for a grant that was never held). A held grant stays ``pending`` until its workflow
settles it, no longer turning ``available`` by the clock alone.

Grants already held when this runs are made ``due``, so the hold keeper starts their
workflows (one whose hold has already passed is settled at once).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reward_ledger", sa.Column("hold_state", sa.String(length=8), nullable=True))
    op.execute(
        "UPDATE reward_ledger SET hold_state = 'due' "
        "WHERE status IN ('pending', 'unapproved') AND available_at > created_at"
    )
    # The keeper looks for grants whose hold has no workflow yet, across every tenant.
    op.create_index(
        "ix_reward_ledger_hold_due",
        "reward_ledger",
        ["created_at"],
        postgresql_where=sa.text("hold_state = 'due'"),
    )


def downgrade() -> None:
    op.drop_index("ix_reward_ledger_hold_due", table_name="reward_ledger")
    op.drop_column("reward_ledger", "hold_state")
