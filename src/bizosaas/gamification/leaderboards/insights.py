"""The LeaderboardAgent's competitive insights for a member on a board: where they stand,
how far the next place is, how far the top 10, and their best past period. Read-only: the
portal shows them on a board's page, and the agents API gives them as a task."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.errors import NotFound
from bizosaas.core.repository import PageRequest
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.leaderboards import schemas, service
from bizosaas.gamification.leaderboards.live import LiveRanks
from bizosaas.gamification.leaderboards.models import Leaderboard, LeaderboardEntry

TOP = 10


async def insights(
    db: AsyncSession, live: LiveRanks, caller: Caller, board: Leaderboard, user_id: uuid.UUID
) -> schemas.Insights:
    descending = board.sort_order == "desc"
    try:
        near = await service.around(db, live, caller, board, user_id, 1)
    except NotFound:
        near = None
    me = next((e for e in near.entries if e.user_id == user_id), None) if near else None
    lines: list[str] = []
    ahead: schemas.Gap | None = None
    to_top: float | None = None
    if me is None:
        lines.append("No score on this board yet in this period: your first one puts you on it.")
    else:
        above = [e for e in near.entries if e.rank < me.rank] if near else []
        if above:
            nearest = above[-1]
            ahead = schemas.Gap(
                rank=nearest.rank,
                name=nearest.name,
                points=_gap(nearest.score, me.score, descending),
            )
            lines.append(
                f"{_points(ahead.points)} behind #{ahead.rank} ({ahead.name})."
                if ahead.points
                else f"Level with #{ahead.rank} ({ahead.name}), who got there first."
            )
        elif me.rank == 1:
            lines.append("You lead this board.")
        if me.rank > TOP:
            top = await service.standings(db, live, caller.user_id, board, PageRequest(None, TOP))
            if len(top.entries) == TOP:
                to_top = _gap(top.entries[-1].score, me.score, descending)
                lines.append(f"{_points(to_top)} from the top {TOP}.")
    best = await _best_period(db, board, user_id)
    if best is not None:
        lines.append(
            f"Your best period began {best.period_start:%-d %b %Y}: #{best.rank} with "
            f"{_points(best.score)}."
        )
    return schemas.Insights(
        leaderboard_id=board.id,
        user_id=user_id,
        rank=me.rank if me else None,
        score=me.score if me else None,
        participants=near.participants if near else 0,
        ahead=ahead,
        to_top=to_top,
        best_period=best,
        lines=lines,
    )


async def _best_period(
    db: AsyncSession, board: Leaderboard, user_id: uuid.UUID
) -> schemas.BestPeriod | None:
    e = LeaderboardEntry
    row = (
        await db.execute(
            select(e.period_start, e.final_rank, e.score)
            .where(
                e.tenant_id == board.tenant_id,
                e.leaderboard_id == board.id,
                e.member_id == user_id,
                e.final_rank.is_not(None),
            )
            .order_by(e.final_rank, e.period_start.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return schemas.BestPeriod(period_start=row[0], rank=int(row[1]), score=float(row[2]))


def _gap(theirs: float, mine: float, descending: bool) -> float:
    return round(theirs - mine if descending else mine - theirs, 4)


def _points(value: float) -> str:
    shown = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return f"{shown} point{'' if value == 1 else 's'}"
