"""The SQL of a board's history: past periods and their final standings, and forgetting
(what a replay rebuilds, and a member's erasure)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.gamification.leaderboards.models import (
    Leaderboard,
    LeaderboardEntry,
    LeaderboardMemberSetting,
    LeaderboardPeriod,
    LeaderboardRejection,
)

# -- archives ----------------------------------------------------------------------------


async def list_periods(
    db: AsyncSession, board: Leaderboard, before: datetime | None, limit: int
) -> list[LeaderboardPeriod]:
    p = LeaderboardPeriod
    query = select(p).where(p.tenant_id == board.tenant_id, p.leaderboard_id == board.id)
    if before is not None:
        query = query.where(p.period_start < before)
    return list(
        (await db.execute(query.order_by(p.period_start.desc()).limit(limit))).scalars().all()
    )


async def get_period(
    db: AsyncSession, board: Leaderboard, period_start: datetime
) -> LeaderboardPeriod | None:
    return await db.get(LeaderboardPeriod, (board.tenant_id, board.id, period_start))


async def final_standings(
    db: AsyncSession, board: Leaderboard, period_start: datetime, after_rank: int, limit: int
) -> list[LeaderboardEntry]:
    e = LeaderboardEntry
    query = (
        select(e)
        .where(
            e.tenant_id == board.tenant_id,
            e.leaderboard_id == board.id,
            e.period_start == period_start,
            e.final_rank.is_not(None),
            e.final_rank > after_rank,
        )
        .order_by(e.final_rank)
        .limit(limit)
    )
    return list((await db.execute(query)).scalars().all())


# -- forgetting --------------------------------------------------------------------------


async def forget_from(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    boundaries: dict[uuid.UUID, datetime] | None,
) -> None:
    """Before a replay: drop the tenant's standings, archives and rejections (all of them, or
    per board those of periods starting at or after the board's boundary)."""
    models: tuple[Any, ...] = (LeaderboardEntry, LeaderboardPeriod, LeaderboardRejection)
    if boundaries is None:
        for model in models:
            await db.execute(delete(model).where(model.tenant_id == tenant_id))
        return
    for model in models:
        for board_id, boundary in boundaries.items():
            condition = and_(
                model.tenant_id == tenant_id,
                model.leaderboard_id == board_id,
                model.period_start >= boundary,
            )
            await db.execute(delete(model).where(condition))


async def forget_member(db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    for model, column in (
        (LeaderboardEntry, LeaderboardEntry.member_id),
        (LeaderboardRejection, LeaderboardRejection.member_id),
        (LeaderboardMemberSetting, LeaderboardMemberSetting.user_id),
    ):
        await db.execute(delete(model).where(model.tenant_id == tenant_id, column == user_id))
