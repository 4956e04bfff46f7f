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

from sqlalchemy import Row

from bizosaas.core.database import Database, utcnow
from bizosaas.core.repository import PageRequest
from bizosaas.gamification.db import PLATFORM_SCOPE
from bizosaas.gamification.leaderboards import schemas
from bizosaas.gamification.leaderboards.live import schedule_of
from bizosaas.gamification.leaderboards.models import Leaderboard
from bizosaas.gamification.leaderboards.repository import PlatformBoardRepository
from bizosaas.gamification.leaderboards.scoring import BoardRule

CACHE_SECONDS = 10.0


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
        async with self.database.transaction(PLATFORM_SCOPE) as db:
            boards = await PlatformBoardRepository(db).list_boards(("active",))
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


def current(board: Leaderboard, now: datetime) -> schemas.LeaderboardOut:
    """The board with the period containing ``now`` (platform periods need no roll-over)."""
    result = schemas.LeaderboardOut.model_validate(board)
    result.period_start, result.next_reset_at = schedule_of(board).bounds(now)
    return result


async def standings(
    boards: PlatformBoardRepository,
    board: Leaderboard,
    now: datetime,
    *,
    industry: str | None,
    period_at: datetime | None,
    page: PageRequest,
    tenant_id: uuid.UUID | None,
) -> schemas.PlatformStandings:
    """Opted-in tenants ranked for the period containing ``period_at`` (default: now)."""
    period_start, next_reset_at = schedule_of(board).bounds(period_at or now)
    rows, next_cursor = await boards.standings(board, period_start, industry, page)
    mine = None
    if tenant_id is not None:
        found = await boards.standing_of(board, period_start, industry, tenant_id)
        mine = _standing(found) if found else None
    return schemas.PlatformStandings(
        leaderboard_id=board.id,
        period_start=period_start,
        next_reset_at=next_reset_at,
        industry=industry,
        entries=[_standing(r) for r in rows],
        mine=mine,
        next_cursor=next_cursor,
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
