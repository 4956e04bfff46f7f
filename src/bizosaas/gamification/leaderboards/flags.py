"""Score jumps (the LeaderboardAgent's flags): found when a period is archived, before its
results are final, and held out of its final ranks until a tenant admin decides.

A member is flagged when their score in the period is at least :data:`OWN_FACTOR` times
their best in the board's earlier periods (with :data:`MIN_HISTORY` of them: a newcomer has
no history to jump from) and at least :data:`OTHERS_FACTOR` times anybody else's score in
the period (with :data:`MIN_OTHERS` others beside them). Clearing a flag ranks the entry in
the archived period (the others move down to make room); upholding it keeps it out. Boards
where the lowest score wins are not checked.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import utcnow
from bizosaas.core.errors import Conflict, NotFound
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.leaderboards.models import Leaderboard, LeaderboardFlag
from bizosaas.gamification.leaderboards.schemas import FlagOut, FlagsOut
from bizosaas.gamification.leaderboards.standings_repository import (
    FlagRepository,
    StandingRepository,
)
from bizosaas.gamification.members.repository import MemberRepository

OWN_FACTOR = Decimal(5)
OTHERS_FACTOR = Decimal(2)
MIN_HISTORY = 2
MIN_OTHERS = 3
Decision = Literal["clear", "uphold"]


async def flag_jumps(db: AsyncSession, board: Leaderboard, period_start: datetime) -> int:
    """Flag the period's jumps (before its final ranks are written); how many."""
    if board.sort_order != "desc":
        return 0
    flags = FlagRepository(db)
    jumps = [
        {
            "leaderboard_id": board.id,
            "period_start": period_start,
            "member_id": row.member_id,
            "score": row.score,
            "own_best": row.own_best,
            "others_best": row.others_best,
            "status": "open",
            "created_at": utcnow(),
        }
        for row in await flags.jumps(board.id, period_start, MIN_HISTORY)
        if row.others >= MIN_OTHERS
        and row.score > 0
        and row.score >= OWN_FACTOR * row.own_best
        and row.score >= OTHERS_FACTOR * row.others_best
    ]
    await flags.add_open(jumps)
    return len(jumps)


async def list_flags(
    db: AsyncSession, board_id: uuid.UUID | None, status: str | None = "open"
) -> FlagsOut:
    found = await FlagRepository(db).listed(board_id, status)
    names = {
        m.user_id: m.display_name
        for m in await MemberRepository(db).many(list({f.member_id for f in found}))
    }
    return FlagsOut(flags=[_out(flag, names.get(flag.member_id, "")) for flag in found])


async def decide(
    db: AsyncSession, caller: Caller, board: Leaderboard, flag_id: uuid.UUID, decision: Decision
) -> FlagOut:
    """Clear (rank the entry in its archived period) or uphold (keep it out) an open flag."""
    caller.require_admin()
    flag = await FlagRepository(db).by_id(flag_id, lock=True)
    if flag is None or flag.leaderboard_id != board.id:
        raise NotFound("No such flag on this board.")
    if flag.status != "open":
        raise Conflict(f"The flag is already {flag.status}.")
    flag.status = "cleared" if decision == "clear" else "upheld"
    flag.decided_by, flag.decided_at = caller.user_id, utcnow()
    await db.flush()
    if flag.status == "cleared":
        await StandingRepository(db).rank_final(board, flag.period_start)
    names = await MemberRepository(db).many([flag.member_id])
    return _out(flag, names[0].display_name if names else "")


def _out(flag: LeaderboardFlag, name: str) -> FlagOut:
    return FlagOut.model_validate(flag).model_copy(update={"name": name})
