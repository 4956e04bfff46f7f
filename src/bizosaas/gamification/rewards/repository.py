"""The SQL of the reward ledger, for the session's tenant alone."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert

from bizosaas.core.database import utcnow
from bizosaas.core.repository import TenantRepository
from bizosaas.gamification.rewards.models import RewardEntry


class LedgerRepository(TenantRepository[RewardEntry]):
    """Entries are only ever added: a grant is keyed so it is paid once, a clawback is a
    negative entry linked to the grant it cancels."""

    model = RewardEntry

    async def grant(
        self,
        *,
        user_id: uuid.UUID,
        kind: str,
        amount: Decimal,
        unit: str,
        grant_key: str,
        source_type: str,
        source_id: uuid.UUID | None,
        hold_days: int,
        note: str | None = None,
    ) -> RewardEntry | None:
        """The new entry, or None when this grant key was already paid."""
        now = utcnow()
        return await self._insert(
            user_id=user_id,
            kind=kind,
            amount=amount,
            unit=unit,
            grant_key=grant_key,
            source_type=source_type,
            source_id=source_id,
            status="pending" if hold_days else "available",
            available_at=now + timedelta(days=hold_days),
            note=note,
            created_at=now,
        )

    async def claw_back(self, source_id: uuid.UUID, note: str) -> list[RewardEntry]:
        """Reverse every live grant from this source with a negative linked entry."""
        query = self.statement().where(
            RewardEntry.source_id == source_id,
            RewardEntry.amount > 0,
            RewardEntry.status != "reversed",
        )
        reversals = []
        now = utcnow()
        for entry in await self.all(query.with_for_update()):
            reversal = await self._insert(
                user_id=entry.user_id,
                kind="clawback",
                amount=-entry.amount,
                unit=entry.unit,
                grant_key=f"clawback:{entry.id}",
                reverses_id=entry.id,
                source_type=entry.source_type,
                source_id=entry.source_id,
                status="available",
                available_at=now,
                note=note,
                created_at=now,
            )
            if reversal is not None:
                reversals.append(reversal)
            await self.session.execute(
                update(RewardEntry)
                .where(RewardEntry.tenant_id == self.tenant_id, RewardEntry.id == entry.id)
                .values(status="reversed")
            )
        return reversals

    async def of_member(self, user_id: uuid.UUID) -> Sequence[RewardEntry]:
        return await self.all(self.statement().where(RewardEntry.user_id == user_id))

    async def _insert(self, **values: Any) -> RewardEntry | None:
        result = await self.session.execute(
            insert(RewardEntry)
            .values(id=uuid.uuid4(), tenant_id=self.tenant_id, **values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "grant_key"])
            .returning(RewardEntry)
        )
        return result.scalar_one_or_none()
