"""Referrals: no schema change (reserved)

The referral and reward tables of 0001 serve as they are; this revision keeps the chain's
place for the referrals work so that later revisions can follow it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 13:00:00
"""

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
