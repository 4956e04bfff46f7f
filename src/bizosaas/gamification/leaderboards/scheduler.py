"""Period resets on time, even for boards nobody reads or scores: a loop in every copy.

Copies never collide: each roll-over takes the tenant's processing lock and checks
again that the board is still due, so a board another copy (or a batch, or a read)
has just rolled over is left alone.
"""

from __future__ import annotations

from bizosaas.core.background import BackgroundWork
from bizosaas.core.database import RowScope
from bizosaas.core.logging import get_logger
from bizosaas.gamification.leaderboards.live import LiveRanks
from bizosaas.gamification.leaderboards.repository import DueBoards

log = get_logger("bizosaas.gamification.leaderboards")
INTERVAL_SECONDS = 30.0


class LeaderboardScheduler(BackgroundWork):
    loop_name = "leaderboard-period-resets"

    def __init__(self, live: LiveRanks, interval: float = INTERVAL_SECONDS) -> None:
        super().__init__(interval)
        self.live = live

    async def turn(self) -> bool:
        await self.tick()
        return False  # resets are due at most once per interval

    async def tick(self) -> int:
        """Roll over every board whose period has ended; returns how many were."""
        async with self.live.database.transaction(RowScope.platform_wide()) as db:
            due = await DueBoards(db).due(self.live.clock())
        done = 0
        for board_id, tenant_id in due:
            try:
                done += await self.live.roll_over_now(tenant_id, board_id)
            except Exception:
                log.exception("leaderboard period reset failed", leaderboard_id=str(board_id))
        return done
