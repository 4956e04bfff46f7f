"""A tenant's profile, which its own admins keep: industry, timezone, brand colour, logo.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tenants", sa.Column("industry", sa.String(length=64), nullable=False, server_default="")
    )
    op.add_column(
        "tenants",
        sa.Column("timezone", sa.String(length=64), nullable=False, server_default="UTC"),
    )
    op.add_column("tenants", sa.Column("brand_colour", sa.String(length=7), nullable=True))
    op.add_column("tenants", sa.Column("logo_url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    for column in ("logo_url", "brand_colour", "timezone", "industry"):
        op.drop_column("tenants", column)
