"""The SQL of referral programs, codes and visits, for the session's tenant (conversions:
:mod:`.conversion_repository`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from bizosaas.core.repository import PlatformRepository, TenantRepository
from bizosaas.gamification.members.models import Member
from bizosaas.gamification.referrals.models import (
    ReferralCode,
    ReferralConversion,
    ReferralProgram,
    ReferralVisit,
)


class ProgramRepository(TenantRepository[ReferralProgram]):
    """The tenant's referral programs."""

    model = ReferralProgram

    async def by_id(self, program_id: uuid.UUID, *, lock: bool = False) -> ReferralProgram | None:
        return await self.get(ReferralProgram.id == program_id, lock=lock)

    async def list_programs(self, status: str | None = None) -> Sequence[ReferralProgram]:
        query = self.statement()
        if status is not None:
            query = query.where(ReferralProgram.status == status)
        return await self.all(query.order_by(ReferralProgram.created_at))

    async def has_conversions(self, program_id: uuid.UUID) -> bool:
        found = await self.session.execute(
            select(ReferralConversion.id)
            .where(
                ReferralConversion.tenant_id == self.tenant_id,
                ReferralConversion.program_id == program_id,
            )
            .limit(1)
        )
        return found.first() is not None


class CodeRepository(TenantRepository[ReferralCode]):
    """Members' referral codes (one per member and program)."""

    model = ReferralCode

    async def by_text(self, code: str) -> ReferralCode | None:
        return await self.get(ReferralCode.code == code.upper())

    async def by_id(self, code_id: uuid.UUID) -> ReferralCode | None:
        return await self.get(ReferralCode.id == code_id)

    async def member_code(self, program_id: uuid.UUID, user_id: uuid.UUID) -> ReferralCode | None:
        return await self.get(
            ReferralCode.program_id == program_id, ReferralCode.user_id == user_id
        )

    async def insert(
        self, program_id: uuid.UUID, user_id: uuid.UUID, code: str, now: datetime
    ) -> bool:
        """False when the member already has a code for the program or the text is taken."""
        result = await self.session.execute(
            insert(ReferralCode)
            .values(
                id=uuid.uuid4(),
                tenant_id=self.tenant_id,
                program_id=program_id,
                user_id=user_id,
                code=code,
                active=True,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(ReferralCode.id)
        )
        return result.first() is not None

    async def replace_text(self, code_id: uuid.UUID, code: str, now: datetime) -> bool:
        """Give a deactivated code fresh text (the leaked one stays dead); False when the text
        is taken (codes are unique across tenants, which this tenant cannot see)."""
        try:
            async with self.session.begin_nested():
                result = await self.session.execute(
                    update(ReferralCode)
                    .where(ReferralCode.tenant_id == self.tenant_id, ReferralCode.id == code_id)
                    .values(code=code, active=True, deactivated_at=None, updated_at=now)
                    .returning(ReferralCode.id)
                )
                return result.first() is not None
        except IntegrityError:
            return False

    async def of_member(self, user_id: uuid.UUID) -> Sequence[ReferralCode]:
        query = self.statement().where(ReferralCode.user_id == user_id)
        return await self.all(query.order_by(ReferralCode.created_at))

    async def program_code_ids(self, program_id: uuid.UUID) -> list[uuid.UUID]:
        query = select(ReferralCode.id).where(
            ReferralCode.tenant_id == self.tenant_id, ReferralCode.program_id == program_id
        )
        return list((await self.session.execute(query)).scalars())

    async def set_member_code(self, user_id: uuid.UUID, code: str | None) -> None:
        """The code shown in the member's token claim."""
        await self.session.execute(
            update(Member)
            .where(Member.tenant_id == self.tenant_id, Member.user_id == user_id)
            .values(referral_code=code)
        )


class CodeDirectory(PlatformRepository):
    """Codes across tenants (they are unique platform-wide): which tenant a share link names."""

    async def tenant_of(self, code: str) -> uuid.UUID | None:
        query = select(ReferralCode.tenant_id).where(
            ReferralCode.code == code.upper(), ReferralCode.active
        )
        return (await self.session.execute(query)).scalar_one_or_none()


class VisitRepository(TenantRepository[ReferralVisit]):
    """The funnel before a conversion: clicks and signups with a code."""

    model = ReferralVisit

    async def attribution_visit(
        self,
        code_ids: Sequence[uuid.UUID],
        referee_id: uuid.UUID,
        ip: str | None,
        device: str | None,
    ) -> ReferralVisit | None:
        """The referee's latest signup with one of these codes, else the latest click from the
        referee's IP or device."""
        signup = await self._latest(code_ids, "signup", ReferralVisit.referee_id == referee_id)
        if signup is not None or (ip is None and device is None):
            return signup
        matches = []
        if ip is not None:
            matches.append(ReferralVisit.ip == ip)
        if device is not None:
            matches.append(ReferralVisit.device_fingerprint == device)
        return await self._latest(code_ids, "click", or_(*matches))

    async def _latest(
        self, code_ids: Sequence[uuid.UUID], kind: str, matching: ColumnElement[bool]
    ) -> ReferralVisit | None:
        query = self.statement().where(
            ReferralVisit.code_id.in_(code_ids), ReferralVisit.kind == kind, matching
        )
        found = await self.all(query.order_by(ReferralVisit.created_at.desc()).limit(1))
        return found[0] if found else None

    async def unconverted_signups(
        self, referees: set[uuid.UUID], program_ids: Sequence[uuid.UUID]
    ) -> set[tuple[uuid.UUID, uuid.UUID]]:
        """(program, referee) of the referees who signed up with a program's code and have not
        converted in it yet."""
        rows = await self.session.execute(
            _UNCONVERTED,
            {
                "tenant_id": self.tenant_id,
                "referees": sorted(referees),
                "programs": list(program_ids),
            },
        )
        return {(program_id, referee_id) for program_id, referee_id in rows}

    async def has_signup(self, code_id: uuid.UUID, referee_id: uuid.UUID) -> bool:
        query = select(ReferralVisit.id).where(
            ReferralVisit.tenant_id == self.tenant_id,
            ReferralVisit.code_id == code_id,
            ReferralVisit.kind == "signup",
            ReferralVisit.referee_id == referee_id,
        )
        return (await self.session.execute(query.limit(1))).first() is not None

    async def funnel(self, code_ids: Sequence[uuid.UUID]) -> dict[tuple[uuid.UUID, str], int]:
        """Clicks and signups per code: ``{(code_id, kind): count}``."""
        if not code_ids:
            return {}
        query = (
            select(ReferralVisit.code_id, ReferralVisit.kind, func.count())
            .where(ReferralVisit.tenant_id == self.tenant_id, ReferralVisit.code_id.in_(code_ids))
            .group_by(ReferralVisit.code_id, ReferralVisit.kind)
        )
        return {(code, kind): n for code, kind, n in (await self.session.execute(query)).tuples()}

    async def forget_referee(self, referee_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(ReferralVisit).where(
                ReferralVisit.tenant_id == self.tenant_id, ReferralVisit.referee_id == referee_id
            )
        )


_UNCONVERTED = text(
    """
    SELECT DISTINCT c.program_id, v.referee_id
    FROM referral_visits v
    JOIN referral_codes c ON c.tenant_id = v.tenant_id AND c.id = v.code_id
    WHERE v.tenant_id = :tenant_id AND v.kind = 'signup'
      AND v.referee_id = ANY(CAST(:referees AS uuid[]))
      AND c.program_id = ANY(CAST(:programs AS uuid[]))
      AND NOT EXISTS (
          SELECT 1 FROM referral_conversions r
          WHERE r.tenant_id = v.tenant_id AND r.program_id = c.program_id
            AND r.referee_id = v.referee_id)
    """
)
