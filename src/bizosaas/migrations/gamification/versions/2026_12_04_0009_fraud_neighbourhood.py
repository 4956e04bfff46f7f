"""Fraud scoring reads a conversion's neighbourhood: indexes to find the accounts seen on
a device or behind an address, and a code's recent conversions; and ``fraud_marks``, the
tenants' verdicts on devices, addresses and email domains, known only by keyed hashes.

Every tenant may read the marks (hashes and counts, nothing else); a tenant writes only
its own.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bizosaas.migrations.rls import TENANT_PREDICATE

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "referral_visits": (["device_fingerprint"], ["ip"]),
    "referral_conversions": (["code_id", "created_at"], ["device_fingerprint"], ["ip"]),
}


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for columns in indexes:
            name = "_".join(["ix", table, "tenant_id", *columns])
            op.create_index(name, table, ["tenant_id", *columns])
    op.create_table(
        "fraud_marks",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("fraud", sa.Integer(), nullable=False),
        sa.Column("honest", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "digest", "tenant_id", name=op.f("pk_fraud_marks")),
    )
    own = TENANT_PREDICATE.format(column="tenant_id")
    op.execute("ALTER TABLE fraud_marks ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE fraud_marks FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY marks_read ON fraud_marks FOR SELECT USING (true)")
    op.execute(f"CREATE POLICY marks_insert ON fraud_marks FOR INSERT WITH CHECK ({own})")
    op.execute(
        f"CREATE POLICY marks_update ON fraud_marks FOR UPDATE USING ({own}) WITH CHECK ({own})"
    )
    op.execute(f"CREATE POLICY marks_delete ON fraud_marks FOR DELETE USING ({own})")


def downgrade() -> None:
    op.drop_table("fraud_marks")
    for table, indexes in INDEXES.items():
        for columns in indexes:
            op.drop_index("_".join(["ix", table, "tenant_id", *columns]), table_name=table)
