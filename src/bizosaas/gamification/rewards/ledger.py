"""The reward ledger: grants keyed so nothing is paid twice, clawbacks linked to grants.

A member's balance is the sum of its entries per unit: a clawback is a negative entry
that cancels its grant (which is marked ``reversed``). A grant is ``pending`` until its
``available_at`` (the program's hold period), ``available`` from then on.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import utcnow
from bizosaas.gamification.rewards.models import RewardEntry
from bizosaas.gamification.rewards.schemas import Balance, RewardEntryOut, RewardsOut


async def grant(
    db: AsyncSession,
    tenant_id: uuid.UUID,
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
    result = await db.execute(
        insert(RewardEntry)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
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
        .on_conflict_do_nothing(index_elements=["tenant_id", "grant_key"])
        .returning(RewardEntry)
    )
    return result.scalar_one_or_none()


async def claw_back(
    db: AsyncSession, tenant_id: uuid.UUID, source_id: uuid.UUID, note: str
) -> list[RewardEntry]:
    """Reverse every live grant from this source with a negative linked entry."""
    grants = (
        (
            await db.execute(
                select(RewardEntry)
                .where(
                    RewardEntry.tenant_id == tenant_id,
                    RewardEntry.source_id == source_id,
                    RewardEntry.amount > 0,
                    RewardEntry.status != "reversed",
                )
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    reversals = []
    now = utcnow()
    for entry in grants:
        result = await db.execute(
            insert(RewardEntry)
            .values(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
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
            .on_conflict_do_nothing(index_elements=["tenant_id", "grant_key"])
            .returning(RewardEntry)
        )
        reversal = result.scalar_one_or_none()
        if reversal is not None:
            reversals.append(reversal)
        await db.execute(
            update(RewardEntry).where(RewardEntry.id == entry.id).values(status="reversed")
        )
    return reversals


def state_of(entry: RewardEntry, now: datetime) -> str:
    if entry.status == "pending" and entry.available_at is not None and entry.available_at <= now:
        return "available"
    return entry.status


async def rewards_of(db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> RewardsOut:
    """The member's balance per unit (all entries, not only the listed latest) and entries."""
    now = utcnow()
    everything = (
        (
            await db.execute(
                select(RewardEntry).where(
                    RewardEntry.tenant_id == tenant_id, RewardEntry.user_id == user_id
                )
            )
        )
        .scalars()
        .all()
    )
    balances: dict[str, Balance] = {}
    for entry in everything:
        balance = balances.setdefault(entry.unit, Balance(unit=entry.unit))
        if state_of(entry, now) == "pending":
            balance.pending += entry.amount
        else:
            balance.available += entry.amount
    for balance in balances.values():
        balance.total = balance.available + balance.pending
    latest = sorted(everything, key=lambda e: (e.created_at, e.grant_key), reverse=True)[:200]
    return RewardsOut(
        user_id=user_id,
        balances=sorted(balances.values(), key=lambda b: b.unit),
        entries=[
            RewardEntryOut.model_validate(e).model_copy(update={"status": state_of(e, now)})
            for e in latest
        ],
    )
