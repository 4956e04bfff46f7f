"""Platform-wide boards: tenants ranked against each other, for tenants that opted in.

The board rows belong to :data:`~bizosaas.gamification.db.PLATFORM_TENANT` and are
managed by a super admin. Each tenant's score is its own row (``tenant_id`` =
``member_id`` = the tenant), written while its events are processed, so scoring
stays inside the tenant's transaction. Events count only while the tenant is opted
in. Ranking happens at read time in SQL, over opted-in tenants only and optionally
one industry: tenants are few next to members, and a filter chosen per query could
not be served from one sorted set anyway.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import Database, RowScope, utcnow
from bizosaas.core.errors import Forbidden, NotFound
from bizosaas.core.repository import encode_cursor
from bizosaas.gamification.db import PLATFORM_TENANT
from bizosaas.gamification.leaderboards import schemas
from bizosaas.gamification.leaderboards.live import schedule_of
from bizosaas.gamification.leaderboards.models import Leaderboard
from bizosaas.gamification.leaderboards.scoring import BoardRule
from bizosaas.gamification.members.models import TenantSettings

CACHE_SECONDS = 10.0

_RANKED = """
WITH ranked AS (
    SELECT e.tenant_id, e.score, e.reached_at, s.display_name, s.industry,
           row_number() OVER (ORDER BY e.score {order}, e.reached_at ASC, e.member_id DESC)
               AS rank
    FROM leaderboard_entries AS e
    JOIN tenant_settings AS s ON s.tenant_id = e.tenant_id
    WHERE e.leaderboard_id = :board AND e.period_start = :period
      AND e.member_id = e.tenant_id AND s.platform_boards_opt_in
      AND (CAST(:industry AS text) IS NULL OR s.industry = :industry)
)
"""


class PlatformBoards:
    """The active platform boards, cached per process for the event processor."""

    def __init__(self, database: Database, clock: Callable[[], datetime] = utcnow) -> None:
        self.database = database
        self.clock = clock
        self._cache: tuple[float, list[BoardRule]] | None = None

    async def rules(self) -> list[BoardRule]:
        cached = self._cache
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        async with self.database.transaction(RowScope.platform_wide()) as db:
            boards = await list_boards(db, ("active",))
        now = self.clock()
        rules = []
        for board in boards:
            start, end = schedule_of(board).bounds(now)  # the rows themselves never roll over
            rules.append(replace(BoardRule.of(board), period_start=start, next_reset_at=end))
        self._cache = (time.monotonic(), rules)
        return rules

    def forget(self) -> None:
        """A board changed in this process: reload on next use (others within seconds)."""
        self._cache = None


async def list_boards(db: AsyncSession, statuses: tuple[str, ...]) -> list[Leaderboard]:
    query = (
        select(Leaderboard)
        .where(
            Leaderboard.tenant_id == PLATFORM_TENANT,
            Leaderboard.scope == "platform",
            Leaderboard.status.in_(statuses),
        )
        .order_by(Leaderboard.created_at, Leaderboard.id)
    )
    return list((await db.execute(query)).scalars().all())


async def get_board(db: AsyncSession, board_id: uuid.UUID) -> Leaderboard:
    board = await db.get(Leaderboard, board_id)
    if board is None or board.tenant_id != PLATFORM_TENANT or board.scope != "platform":
        raise NotFound("No such platform leaderboard.")
    return board


def current(board: Leaderboard, now: datetime) -> schemas.LeaderboardOut:
    """The board with the period containing ``now`` (platform periods need no roll-over)."""
    result = schemas.LeaderboardOut.model_validate(board)
    result.period_start, result.next_reset_at = schedule_of(board).bounds(now)
    return result


async def require_opted_in(db: AsyncSession, tenant_id: uuid.UUID) -> None:
    settings = await db.get(TenantSettings, tenant_id)
    if settings is None or not settings.platform_boards_opt_in:
        raise Forbidden(
            "Your organisation has not joined the platform boards (see the tenant settings)."
        )


async def standings(
    db: AsyncSession,
    board: Leaderboard,
    now: datetime,
    *,
    industry: str | None,
    period_at: datetime | None,
    offset: int,
    limit: int,
    tenant_id: uuid.UUID | None,
) -> schemas.PlatformStandings:
    """Opted-in tenants ranked for the period containing ``period_at`` (default: now).

    ``db`` must be a platform-scoped transaction."""
    schedule = schedule_of(board)
    period_start, next_reset_at = schedule.bounds(period_at or now)
    ranked = _RANKED.format(order="DESC" if board.sort_order == "desc" else "ASC")
    params = {"board": board.id, "period": period_start, "industry": industry}
    rows = (
        await db.execute(
            text(ranked + "SELECT * FROM ranked ORDER BY rank LIMIT :limit OFFSET :offset"),  # noqa: S608
            {**params, "limit": limit + 1, "offset": offset},
        )
    ).all()
    mine = None
    if tenant_id is not None:
        found = (
            await db.execute(
                text(ranked + "SELECT * FROM ranked WHERE tenant_id = :me"),  # noqa: S608
                {**params, "me": tenant_id},
            )
        ).first()
        mine = _standing(found) if found else None
    return schemas.PlatformStandings(
        leaderboard_id=board.id,
        period_start=period_start,
        next_reset_at=next_reset_at,
        industry=industry,
        entries=[_standing(r) for r in rows[:limit]],
        mine=mine,
        next_cursor=encode_cursor([offset + limit]) if len(rows) > limit else None,
    )


def _standing(row: Row[Any]) -> schemas.TenantStanding:
    return schemas.TenantStanding(
        rank=row.rank,
        tenant_id=row.tenant_id,
        name=row.display_name or "",
        industry=row.industry,
        score=float(row.score),
        reached_at=row.reached_at,
    )
