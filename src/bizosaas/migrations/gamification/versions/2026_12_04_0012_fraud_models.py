"""Retrained fraud models (``fraud_models``): each retraining stores its model (skops
bytes), what it was trained on, and its figures beside the live model's on the same
held-out traffic; the newest promoted one is the live model. The table holds no tenant's
data (generated traffic, and feature vectors of reviewed conversions, already in the
model): every service may read it, and only a platform-wide unit of work may write it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLATFORM = "current_setting('app.scope', true) = 'platform'"


def upgrade() -> None:
    op.create_table(
        "fraud_models",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_on", sa.Text(), nullable=False),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("promoted", sa.Boolean(), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_models")),
    )
    op.create_index(
        "ix_fraud_models_promoted_trained_at",
        "fraud_models",
        ["trained_at"],
        postgresql_where=sa.text("promoted"),
    )
    op.execute("ALTER TABLE fraud_models ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE fraud_models FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY models_read ON fraud_models FOR SELECT USING (true)")
    op.execute(f"CREATE POLICY models_insert ON fraud_models FOR INSERT WITH CHECK ({PLATFORM})")


def downgrade() -> None:
    op.drop_table("fraud_models")
