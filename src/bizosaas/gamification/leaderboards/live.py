"""Keeping live ranks in step with PostgreSQL: period roll-overs, rebuilds, rank writes.

PostgreSQL (``leaderboard_entries``) is the record; Redis holds the live period of
each board (see :mod:`.ranks`). Anything that rebuilds Redis or rolls a period
over takes the tenant's processing lock first, the same one the event processor
holds for a batch, so no batch commits half-way through either.

A period ends when ``now`` passes ``next_reset_at``: its final ranks are written to
``leaderboard_entries.final_rank`` with a ``leaderboard_periods`` row, the board
moves on to the period containing ``now``, and the old period's keys are dropped
once that commits. This happens lazily (a batch or a read that finds the board
due) and from :class:`~.scheduler.LeaderboardScheduler`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import Database, RowScope, after_commit, utcnow
from bizosaas.core.logging import get_logger
from bizosaas.core.redis import Keys
from bizosaas.gamification.leaderboards.flags import flag_jumps
from bizosaas.gamification.leaderboards.models import Leaderboard
from bizosaas.gamification.leaderboards.periods import Schedule
from bizosaas.gamification.leaderboards.ranks import NotReady, Placed, RankCache, Slot, Update
from bizosaas.gamification.leaderboards.repository import TENANT, BoardRepository
from bizosaas.gamification.leaderboards.standings_repository import StandingRepository
from bizosaas.gamification.locks import lock_tenant

log = get_logger("bizosaas.gamification.leaderboards")
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Rebuilt:
    members: int
    seconds: float


def board_channel(keys: Keys, tenant_id: uuid.UUID) -> str:
    """Where a tenant's boards announce that their standings moved (no member data)."""
    return keys("boards", tenant_id)


def schedule_of(board: Leaderboard) -> Schedule:
    return Schedule(board.period, board.timezone, board.cron)


def is_due(board: Leaderboard, now: datetime) -> bool:
    return (
        board.status == "active" and board.next_reset_at is not None and board.next_reset_at <= now
    )


class LiveRanks:
    def __init__(self, database: Database, ranks: RankCache, clock: Clock = utcnow) -> None:
        self.database = database
        self.ranks = ranks
        self.clock = clock  # tests move time forward through this

    def slot(self, board: Leaderboard) -> Slot:
        return self.ranks.slot(board.id, board.period_start)

    # -- periods -------------------------------------------------------------------------

    async def roll_over(self, db: AsyncSession, board: Leaderboard, now: datetime) -> None:
        """Archive the ended period(s) and move the board to the one containing ``now``.

        The caller holds the tenant's processing lock."""
        schedule = schedule_of(board)
        new_start, new_end = schedule.bounds(now)
        old_start = board.period_start
        if new_start <= old_start:
            return
        standings = StandingRepository(db)
        ended = [old_start, *await standings.periods_between(board.id, old_start, new_start)]
        for period_start in ended:
            period_end = schedule.end_of(period_start) or new_start
            if board.kind == TENANT:  # jumps are held out of the final ranks, for an admin
                await flag_jumps(db, board, period_start)
            participants = await standings.archive(board, period_start, period_end)
            log.info(
                "leaderboard period archived",
                tenant_id=str(board.tenant_id),
                leaderboard_id=str(board.id),
                period_start=period_start.isoformat(),
                participants=participants,
            )
        board.period_start, board.next_reset_at = new_start, new_end
        board.updated_at = utcnow()
        await db.flush()
        if await standings.count(board.id, new_start) == 0:
            # Nothing committed for the new period yet: its empty keys are already exact.
            await self.ranks.mark_ready(self.slot(board))
        old_slots = [self.ranks.slot(board.id, p) for p in ended]
        after_commit(db, lambda: self.ranks.drop(old_slots))

    async def roll_over_now(self, tenant_id: uuid.UUID, board_id: uuid.UUID) -> bool:
        """Roll a due board over in its own transaction; False if it was not due (any more)."""
        async with self.database.transaction(RowScope.tenant(tenant_id)) as db:
            await lock_tenant(db, tenant_id)
            board = await BoardRepository(db).by_id(board_id, lock=True)
            now = self.clock()
            if board is None or not is_due(board, now):
                return False
            await self.roll_over(db, board, now)
        return True

    async def current(self, db: AsyncSession, board: Leaderboard) -> Leaderboard:
        """The board with its live period up to date (rolled over first if due)."""
        if not is_due(board, self.clock()):
            return board
        await self.roll_over_now(board.tenant_id, board.id)
        fresh = await BoardRepository(db).by_id(board.id)
        return fresh or board

    # -- rebuilding ------------------------------------------------------------------------

    async def build(self, db: AsyncSession, board: Leaderboard) -> int:
        """Load the live period's keys from PostgreSQL (caller holds the tenant lock)."""
        rows = StandingRepository(db).stream(board.id, board.period_start)
        return await self.ranks.load(self.slot(board), rows, board.sort_order == "desc")

    async def ensure_ready(
        self, tenant_id: uuid.UUID, board_id: uuid.UUID, *, force: bool = False
    ) -> Rebuilt | None:
        """Rebuild the live period's keys unless they are ready (always, with ``force``)."""
        started = time.perf_counter()
        async with self.database.transaction(RowScope.tenant(tenant_id)) as db:
            await lock_tenant(db, tenant_id)
            board = await BoardRepository(db).by_id(board_id)
            if board is None:
                return None
            if not force and await self.ranks.is_ready(self.slot(board)):
                return None
            members = await self.build(db, board)
        seconds = time.perf_counter() - started
        log.info(
            "leaderboard ranks rebuilt",
            tenant_id=str(tenant_id),
            leaderboard_id=str(board_id),
            members=members,
            seconds=round(seconds, 3),
        )
        return Rebuilt(members, seconds)

    async def write(
        self, tenant_id: uuid.UUID, writes: Sequence[tuple[Slot, uuid.UUID, Sequence[Update]]]
    ) -> None:
        """After a commit: apply new standings; rebuild any period that was not ready; tell
        open pages which boards moved."""
        missing = await self.ranks.write([(slot, updates) for slot, _, updates in writes])
        for slot in missing:
            board_id = next(b for s, b, _ in writes if s == slot)
            await self.ensure_ready(tenant_id, board_id)
        moved = sorted({str(board_id) for _, board_id, _ in writes})
        message = orjson.dumps({"kind": "leaderboard", "boards": moved})
        await self.ranks.redis.publish(board_channel(self.ranks.keys, tenant_id), message)

    # -- reading -------------------------------------------------------------------------

    async def page(
        self, board: Leaderboard, after: tuple[str, str] | None, count: int
    ) -> tuple[int, list[Placed]]:
        try:
            return await self.ranks.page(self.slot(board), after, count)
        except NotReady:
            await self.ensure_ready(board.tenant_id, board.id)
            return await self.ranks.page(self.slot(board), after, count)

    async def around(
        self, board: Leaderboard, member_id: uuid.UUID, above: int, below: int
    ) -> tuple[int, int | None, list[Placed]]:
        try:
            return await self.ranks.around(self.slot(board), member_id, above, below)
        except NotReady:
            await self.ensure_ready(board.tenant_id, board.id)
            return await self.ranks.around(self.slot(board), member_id, above, below)
