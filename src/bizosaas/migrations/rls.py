"""Row-level security for tenant-owned tables, shared by every migration history.

The policy admits a row when the transaction's ``app.tenant_id`` names its tenant,
or when the transaction declared platform scope. FORCE makes it bind the table
owner too; only superusers bypass it, and services never connect as one.
"""

from __future__ import annotations

from alembic import op

TENANT_PREDICATE = (
    "current_setting('app.scope', true) = 'platform' "
    "OR {column} = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
)


def enable_tenant_rls(table: str, column: str = "tenant_id") -> None:
    predicate = TENANT_PREDICATE.format(column=column)
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} USING ({predicate}) WITH CHECK ({predicate})"
    )


def disable_tenant_rls(table: str) -> None:
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
