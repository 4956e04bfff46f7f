"""The security audit log: sign-ins, lockouts, sign-outs, refresh reuse, role, permission and
tenant changes. Rows are only ever added."""

from __future__ import annotations

import uuid
from typing import Any

from bizosaas.auth.models import AuditEvent
from bizosaas.core.repository import Page, PageRequest, ScopedRepository, keyset_page


class AuditLog(ScopedRepository[AuditEvent]):
    model = AuditEvent

    def record(
        self,
        event: str,
        *,
        tenant_id: uuid.UUID | None = None,
        actor_id: uuid.UUID | None = None,
        subject_id: uuid.UUID | None = None,
        ip: str | None = None,
        email: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """``tenant_id`` is whose event it is in a platform-wide unit of work (a sign-in);
        in a tenant's, it is always that tenant."""
        self.session.add(
            AuditEvent(
                event=event,
                tenant_id=self.tenant_id or tenant_id,
                actor_id=actor_id,
                subject_id=subject_id,
                ip=ip,
                email=email,
                details=details or {},
            )
        )

    async def page(self, page: PageRequest) -> Page[AuditEvent]:
        """Newest first."""
        return await keyset_page(self.session, self.statement(), [AuditEvent.id], page)
