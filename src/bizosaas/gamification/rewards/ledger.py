"""Balances from the reward ledger (its SQL: :mod:`.repository`).

A member's balance is the sum of its entries per unit: a clawback is a negative entry
that cancels its grant (which is marked ``reversed``). A grant is ``pending`` until its
``available_at`` (the program's hold period), ``available`` from then on.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import utcnow
from bizosaas.gamification.rewards.models import RewardEntry
from bizosaas.gamification.rewards.repository import LedgerRepository
from bizosaas.gamification.rewards.schemas import Balance, RewardEntryOut, RewardsOut


def state_of(entry: RewardEntry, now: datetime) -> str:
    if entry.status == "pending" and entry.available_at is not None and entry.available_at <= now:
        return "available"
    return entry.status


async def rewards_of(db: AsyncSession, user_id: uuid.UUID) -> RewardsOut:
    """The member's balance per unit (all entries, not only the listed latest) and entries."""
    now = utcnow()
    everything = await LedgerRepository(db).of_member(user_id)
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
