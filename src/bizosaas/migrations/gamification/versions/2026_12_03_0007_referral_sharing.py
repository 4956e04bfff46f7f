"""Referral sharing: a program's share message, and codes unique across tenants (a share link
``/r/{code}`` names the code alone).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "referral_programs",
        sa.Column("share_message", sa.String(length=280), server_default="", nullable=False),
    )
    # Codes were unique per tenant: give any code another tenant also holds a fresh suffix
    # (the leaked text of the later one stops working, as a deactivated code's does).
    op.execute(
        """
        UPDATE referral_codes AS c
        SET code = left(c.code, 27) || '-' || upper(substr(md5(c.id::text), 1, 4))
        WHERE EXISTS (
            SELECT 1 FROM referral_codes AS o
            WHERE o.code = c.code AND (o.created_at, o.id) < (c.created_at, c.id)
        )
        """
    )
    op.create_index("uq_referral_codes_code", "referral_codes", ["code"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_referral_codes_code", table_name="referral_codes")
    op.drop_column("referral_programs", "share_message")
