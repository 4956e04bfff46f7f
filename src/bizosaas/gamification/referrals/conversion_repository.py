"""The SQL of referral conversions: recording, review queues, caps and fraud signals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.dialects.postgresql import insert

from bizosaas.core.repository import ScopedRepository, TenantRepository
from bizosaas.gamification.referrals.models import ReferralConversion


class ConversionRepository(TenantRepository[ReferralConversion]):
    """Conversions of the session's tenant: recording, review queues, caps, fraud signals."""

    model = ReferralConversion

    async def insert(self, values: dict[str, Any]) -> uuid.UUID | None:
        """The new conversion's id, or None when this referee already converted in the program."""
        result = await self.session.execute(
            insert(ReferralConversion)
            .values({**values, "tenant_id": self.tenant_id})
            .on_conflict_do_nothing(
                index_elements=["tenant_id", "program_id", "referee_id"],
            )
            .returning(ReferralConversion.id)
        )
        return result.scalar_one_or_none()

    async def of_referee(
        self, program_id: uuid.UUID, referee_id: uuid.UUID
    ) -> ReferralConversion | None:
        return await self.get(
            ReferralConversion.program_id == program_id,
            ReferralConversion.referee_id == referee_id,
        )

    async def by_id(
        self, conversion_id: uuid.UUID, *, lock: bool = False
    ) -> ReferralConversion | None:
        return await self.get(ReferralConversion.id == conversion_id, lock=lock)

    async def list_conversions(
        self, *, status: str | None, referrer_id: uuid.UUID | None = None, limit: int = 100
    ) -> Sequence[ReferralConversion]:
        query = self.statement()
        if status is not None:
            query = query.where(ReferralConversion.status == status)
        if referrer_id is not None:
            query = query.where(ReferralConversion.referrer_id == referrer_id)
        query = query.order_by(ReferralConversion.converted_at.desc()).limit(limit)
        return await self.all(query)

    async def around(self, user_id: uuid.UUID, limit: int = 500) -> Sequence[ReferralConversion]:
        """A member's referral tree, newest first: who referred them, whom they referred, and
        whom those referred in turn."""
        c = ReferralConversion
        referred = self.statement().with_only_columns(c.referee_id).where(c.referrer_id == user_id)
        query = self.statement().where(
            or_(c.referee_id == user_id, c.referrer_id == user_id, c.referrer_id.in_(referred))
        )
        return await self.all(query.order_by(c.converted_at.desc(), c.id).limit(limit))

    async def counts_of_referrer(self, referrer_id: uuid.UUID) -> dict[tuple[uuid.UUID, str], int]:
        """The referrer's conversions per program and status: ``{(program_id, status): n}``."""
        c = ReferralConversion
        query = (
            select(c.program_id, c.status, func.count())
            .where(c.tenant_id == self.tenant_id, c.referrer_id == referrer_id)
            .group_by(c.program_id, c.status)
        )
        return {(p, status): n for p, status, n in (await self.session.execute(query)).tuples()}

    async def approved_count(
        self,
        program_id: uuid.UUID,
        referrer_id: uuid.UUID,
        *,
        since: datetime | None = None,
        excluding: uuid.UUID | None = None,
    ) -> int:
        query = select(func.count()).where(
            ReferralConversion.tenant_id == self.tenant_id,
            ReferralConversion.program_id == program_id,
            ReferralConversion.referrer_id == referrer_id,
            ReferralConversion.status == "approved",
        )
        if since is not None:
            query = query.where(ReferralConversion.converted_at >= since)
        if excluding is not None:
            query = query.where(ReferralConversion.id != excluding)
        return int((await self.session.execute(query)).scalar_one())

    async def lock_referrer(self, program_id: uuid.UUID, referrer_id: uuid.UUID) -> None:
        """Serialise approvals of one referrer in one program (caps and tiers count them)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"referrals:{self.tenant_id}:{program_id}:{referrer_id}"},
        )


class ReviewedConversions(ScopedRepository[ReferralConversion]):
    """Conversions a tenant admin decided, as the fraud model read them: the tenant's in a
    tenant's unit of work, every tenant's in a platform-wide one (scheduled retraining)."""

    model = ReferralConversion

    async def features(self, width: int) -> list[tuple[list[float], bool]]:
        """What the model read for each, and whether the verdict was fraud (rows scored by
        other features are left out)."""
        c = ReferralConversion
        query = (
            self.statement()
            .with_only_columns(c.features, c.status == "rejected")
            .where(
                c.reviewed_by.is_not(None),
                c.status.in_(("approved", "rejected")),
                func.cardinality(c.features) == width,
            )
        )
        rows = (await self.session.execute(query)).tuples()
        return [(list(features or ()), bool(fraud)) for features, fraud in rows]
