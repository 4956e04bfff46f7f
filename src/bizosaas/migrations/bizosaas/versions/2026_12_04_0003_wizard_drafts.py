"""Wizard drafts (``wizard_drafts``, under row-level security): one person's answers to one
wizard so far, resumable anywhere until it expires, and the outcome once finished.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 21:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from bizosaas.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wizard_drafts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("wizard", sa.String(length=40), nullable=False),
        sa.Column("answers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("outcome", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'finished', 'waiting')",
            name=op.f("ck_wizard_drafts_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wizard_drafts")),
    )
    op.create_index(
        "ix_wizard_drafts_tenant_id_user_id_updated_at",
        "wizard_drafts",
        ["tenant_id", "user_id", "updated_at"],
        unique=False,
    )
    enable_tenant_rls("wizard_drafts")


def downgrade() -> None:
    disable_tenant_rls("wizard_drafts")
    op.drop_table("wizard_drafts")
