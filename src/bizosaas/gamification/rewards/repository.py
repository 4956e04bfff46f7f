"""The SQL of the reward ledger, for the session's tenant alone."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.dialects.postgresql import insert

from bizosaas.core.database import utcnow
from bizosaas.core.repository import (
    Page,
    PageRequest,
    PlatformRepository,
    TenantRepository,
    keyset_page,
)
from bizosaas.gamification.members.models import Member
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
        approval: bool = False,
        note: str | None = None,
    ) -> RewardEntry | None:
        """The new entry, or None when this grant key was already granted. With
        ``approval`` it waits for a tenant admin (its hold runs meanwhile). A held grant
        stays pending until its hold's workflow settles it (:mod:`...referrals.holds`)."""
        now = utcnow()
        status = "unapproved" if approval else "pending" if hold_days else "available"
        return await self._insert(
            user_id=user_id,
            kind=kind,
            amount=amount,
            unit=unit,
            grant_key=grant_key,
            source_type=source_type,
            source_id=source_id,
            status=status,
            available_at=now + timedelta(days=hold_days),
            hold_state="due" if hold_days else None,
            note=note,
            created_at=now,
        )

    async def claw_back(self, source_id: uuid.UUID, note: str) -> list[RewardEntry]:
        """Reverse every live grant from this source with a negative linked entry. A grant
        already paid stays ``paid``: its reversal leaves the member owing that amount."""
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
            if entry.status != "paid":
                await self.session.execute(
                    update(RewardEntry)
                    .where(RewardEntry.tenant_id == self.tenant_id, RewardEntry.id == entry.id)
                    .values(status="reversed")
                )
        return reversals

    async def of_member(self, user_id: uuid.UUID) -> Sequence[RewardEntry]:
        return await self.all(self.statement().where(RewardEntry.user_id == user_id))

    async def page(
        self,
        page: PageRequest,
        *,
        state: str | None,
        kind: str | None,
        user_id: uuid.UUID | None,
    ) -> Page[Any]:
        """The tenant's entries, newest first, with each member's name."""
        query = (
            select(*RewardEntry.__table__.c, Member.display_name)
            .outerjoin(
                Member,
                and_(
                    Member.tenant_id == RewardEntry.tenant_id, Member.user_id == RewardEntry.user_id
                ),
            )
            .where(*self._where(state, kind, user_id))
        )
        keys = (RewardEntry.created_at, RewardEntry.id)
        return await keyset_page(self.session, query, keys, page, scalars=False)

    async def totals(
        self, *, kind: str | None, user_id: uuid.UUID | None
    ) -> list[tuple[str, str, int, Decimal]]:
        """(status, unit, entries, amount) over the whole ledger, under the same filters."""
        status = RewardEntry.status
        query = (
            select(status, RewardEntry.unit, func.count(), func.sum(RewardEntry.amount))
            .where(*self._where(None, kind, user_id))
            .group_by(status, RewardEntry.unit)
            .order_by(status, RewardEntry.unit)
        )
        return [tuple(row) for row in (await self.session.execute(query)).all()]  # type: ignore[misc]

    async def for_decision(self, entry_ids: Sequence[uuid.UUID]) -> Sequence[RewardEntry]:
        """These entries of the tenant, locked for a bulk approval or payout."""
        query = self.statement().where(RewardEntry.id.in_(list(entry_ids)))
        return await self.all(
            query.order_by(RewardEntry.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def _where(
        self, state: str | None, kind: str | None, user_id: uuid.UUID | None
    ) -> list[ColumnElement[bool]]:
        where = [RewardEntry.tenant_id == self.tenant_id]
        if state is not None:
            where.append(RewardEntry.status == state)
        if kind is not None:
            where.append(RewardEntry.kind == kind)
        if user_id is not None:
            where.append(RewardEntry.user_id == user_id)
        return where

    async def _insert(self, **values: Any) -> RewardEntry | None:
        result = await self.session.execute(
            insert(RewardEntry)
            .values(id=uuid.uuid4(), tenant_id=self.tenant_id, **values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "grant_key"])
            .returning(RewardEntry)
        )
        return result.scalar_one_or_none()


class DueHolds(PlatformRepository):
    """Held grants whose hold has no workflow yet, in every tenant (the hold keeper's)."""

    async def due(self, limit: int) -> list[RewardEntry]:
        """The oldest first, locked so that other copies of the keeper take others."""
        query = (
            select(RewardEntry)
            .where(RewardEntry.hold_state == "due")
            .order_by(RewardEntry.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(query)).scalars())
