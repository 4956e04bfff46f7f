"""The agents' task records (``agent_tasks``, under row-level security), and the feature
vector the fraud model read when it scored each conversion (``referral_conversions.features``),
so a tenant's reviewed conversions can retrain it on exactly what it saw.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from bizosaas.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_tasks",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("task_type", sa.String(length=40), nullable=False),
        sa.Column("agent", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.UUID(), nullable=True),
        sa.Column("api_key_id", sa.UUID(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_tasks")),
    )
    op.create_index(
        "ix_agent_tasks_tenant_id_created_at", "agent_tasks", ["tenant_id", "created_at"]
    )
    op.create_index(
        "ix_agent_tasks_tenant_id_task_type_created_at",
        "agent_tasks",
        ["tenant_id", "task_type", "created_at"],
    )
    enable_tenant_rls("agent_tasks")
    op.add_column(
        "referral_conversions",
        sa.Column("features", postgresql.ARRAY(sa.Float()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("referral_conversions", "features")
    disable_tenant_rls("agent_tasks")
    op.drop_index("ix_agent_tasks_tenant_id_task_type_created_at", table_name="agent_tasks")
    op.drop_index("ix_agent_tasks_tenant_id_created_at", table_name="agent_tasks")
    op.drop_table("agent_tasks")
