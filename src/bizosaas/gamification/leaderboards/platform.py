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
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import Database, require_platform, utcnow
from bizosaas.core.errors import NotFound
from bizosaas.core.repository import aware_datetime, keyset_page
from bizosaas.gamification.db import PLATFORM_SCOPE
from bizosaas.gamification.leaderboards import schemas
from bizosaas.gamification.leaderboards.live import schedule_of
from bizosaas.gamification.leaderboards.models import Leaderboard, LeaderboardEntry
from bizosaas.gamification.leaderboards.repository import PLATFORM, BoardRepository
from bizosaas.gamification.leaderboards.scoring import BoardRule
from bizosaas.gamification.members.models import TenantSettings

CACHE_SECONDS = 10.0


class PlatformBoardRepository(BoardRepository):
    """The platform's boards, in a unit of work opened with
    :data:`~bizosaas.gamification.db.PLATFORM_SCOPE` (their tenant is the platform's, and their
    standings are read across the opted-in tenants)."""

    kind = PLATFORM

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        require_platform(session)

    async def board(self, board_id: uuid.UUID) -> Leaderboard:
        board = await self.by_id(board_id)
        if board is None:
            raise NotFound("No such platform leaderboard.")
        return board

    async def standings(
        self,
        board: Leaderboard,
        period_start: datetime,
        industry: str | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[Row[Any]], str | None]:
        """Opted-in tenants (of one industry) ranked in a period, one keyset page."""
        ranked = _ranked(board, period_start, industry)
        down = board.sort_order == "desc"
        page = await keyset_page(
            self.session,
            select(ranked),
            [ranked.c.score, ranked.c.reached_at, ranked.c.tenant_id],
            cursor,
            limit,
            types=(Decimal, aware_datetime, uuid.UUID),
            descending=(down, False, True),
            scalars=False,
        )
        return page.items, page.next_cursor

    async def standing_of(
        self, board: Leaderboard, period_start: datetime, industry: str | None, tenant_id: uuid.UUID
    ) -> Row[Any] | None:
        ranked = _ranked(board, period_start, industry)
        query = select(ranked).where(ranked.c.tenant_id == tenant_id)
        return (await self.session.execute(query)).first()


def _ranked(board: Leaderboard, period_start: datetime, industry: str | None) -> Any:
    e, s = LeaderboardEntry, TenantSettings
    score = e.score.desc() if board.sort_order == "desc" else e.score.asc()
    rank = func.row_number().over(order_by=(score, e.reached_at.asc(), e.member_id.desc()))
    query = (
        select(e.tenant_id, e.score, e.reached_at, s.display_name, s.industry, rank.label("rank"))
        .join(s, s.tenant_id == e.tenant_id)
        .where(
            e.leaderboard_id == board.id,
            e.period_start == period_start,
            e.member_id == e.tenant_id,
            s.platform_boards_opt_in,
        )
    )
    if industry is not None:
        query = query.where(s.industry == industry)
    return query.cte("ranked")


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
    cursor: str | None,
    limit: int,
    tenant_id: uuid.UUID | None,
) -> schemas.PlatformStandings:
    """Opted-in tenants ranked for the period containing ``period_at`` (default: now)."""
    period_start, next_reset_at = schedule_of(board).bounds(period_at or now)
    rows, next_cursor = await boards.standings(board, period_start, industry, cursor, limit)
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
