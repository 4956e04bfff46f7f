"""Share links: a visitor opens ``/r/{code}``.

The login screen records the click here (without a login, through the gateway, which
limits it per address), then sends the visitor to sign up in the code's tenant. Codes are
unique across tenants, so the code alone names the tenant: it is looked up platform-wide,
and the click is written in that tenant's own unit of work.
"""

from __future__ import annotations

from bizosaas.core.database import Database, RowScope, utcnow
from bizosaas.core.errors import AppError, NotFound
from bizosaas.core.members import MemberDirectory
from bizosaas.core.tenants import TenantDirectory
from bizosaas.gamification.referrals.models import ReferralVisit
from bizosaas.gamification.referrals.programs import check_open, find_program
from bizosaas.gamification.referrals.repository import (
    CodeDirectory,
    CodeRepository,
    VisitRepository,
)
from bizosaas.gamification.referrals.schemas import LinkVisit

UNKNOWN = "This referral link is not valid (any more)."


class ShareLinks:
    def __init__(
        self, database: Database, tenants: TenantDirectory, directory: MemberDirectory
    ) -> None:
        self.database = database
        self.tenants = tenants
        self.directory = directory

    async def visit(self, code: str, ip: str | None, device: str | None) -> LinkVisit:
        """Record a click on a member's share link; what the sign-up page should say."""
        async with self.database.transaction(RowScope.platform_wide()) as db:
            tenant_id = await CodeDirectory(db).tenant_of(code)
        tenant = await self.tenants.get(tenant_id) if tenant_id else None
        if tenant_id is None or tenant is None or tenant.suspended:
            raise NotFound(UNKNOWN)
        async with self.database.transaction(RowScope.tenant(tenant_id)) as db:
            row = await CodeRepository(db).by_text(code)
            if row is None or not row.active:
                raise NotFound(UNKNOWN)
            program = await find_program(db, row.program_id)
            try:
                check_open(program, utcnow())
            except AppError as exc:  # the program is paused, over or not started
                raise NotFound(UNKNOWN) from exc
            VisitRepository(db).add(
                ReferralVisit(
                    code_id=row.id,
                    kind="click",
                    ip=ip,
                    device_fingerprint=device,
                    created_at=utcnow(),
                )
            )
        referrer = await self.directory.get(row.user_id)
        first_name = (referrer.display_name.split() or [""])[0] if referrer else ""
        return LinkVisit(
            code=row.code,
            tenant_slug=tenant.slug,
            organisation=tenant.name,
            program=program.name,
            referrer=first_name,
            signup_open=tenant.self_signup,
        )
