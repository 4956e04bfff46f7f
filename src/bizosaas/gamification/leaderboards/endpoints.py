"""``/api/v1/gamification/leaderboards``: tenant boards, their live ranks and archives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from bizosaas.core.repository import PageRequest, paging
from bizosaas.gamification.dependencies import (
    AdminDep,
    LiveDep,
    MemberDep,
    MembersDep,
    SessionDep,
)
from bizosaas.gamification.leaderboards import flags, insights, service
from bizosaas.gamification.leaderboards.dependencies import AdminBoardDep, MemberBoardDep
from bizosaas.gamification.leaderboards.platform_endpoints import router as platform_router
from bizosaas.gamification.leaderboards.repository import BoardRepository
from bizosaas.gamification.leaderboards.schemas import (
    AroundPage,
    FinalStandings,
    FlagOut,
    FlagsOut,
    Insights,
    LeaderboardCreate,
    LeaderboardOut,
    LeaderboardUpdate,
    MyStanding,
    PeriodPage,
    PrivacyIn,
    PrivacyOut,
    RebuildOut,
    RejectionPage,
    StandingsPage,
)

router = APIRouter(prefix="/api/v1/gamification", tags=["leaderboards"])
boards = APIRouter(prefix="/leaderboards")


@boards.get("", summary="The tenant's boards, with their current period and next reset")
async def list_leaderboards(
    caller: MemberDep,
    db: SessionDep,
    live: LiveDep,
    status: Literal["active", "archived", "all"] = "active",
) -> list[LeaderboardOut]:
    return await service.list_boards(db, live, status)


@boards.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Define a board (tenant admin)",
    responses={409: {"description": "A board with this key exists"}},
)
async def create_leaderboard(
    body: LeaderboardCreate, caller: AdminDep, db: SessionDep, live: LiveDep
) -> LeaderboardOut:
    """What is scored (`metric`: points earned, referrals converted, or an aggregate of an
    event property with `operator` sum/max/latest/count and `filters`), the order, the
    period (daily, weekly, monthly, all_time, or `cron` — each fire is a reset — in the
    board's `timezone`), and the largest change allowed per event and per member per
    period. Ties go to whoever reached the score first."""
    board = await service.create_board(BoardRepository(db), live, body, visibility=body.visibility)
    return service.out(board, live)


@boards.get("/flags", summary="Score jumps on every board, held out of final ranks (admin)")
async def every_flag(
    caller: AdminDep,
    db: SessionDep,
    state: Annotated[Literal["open", "cleared", "upheld"] | None, Query(alias="status")] = "open",
) -> FlagsOut:
    return await flags.list_flags(db, None, state)


@boards.get("/{board_id}", summary="One board")
async def get_leaderboard(board: MemberBoardDep, live: LiveDep) -> LeaderboardOut:
    return service.out(board, live)


@boards.patch("/{board_id}", summary="Rename a board, change its visibility or limits (admin)")
async def update_leaderboard(
    body: LeaderboardUpdate, board: AdminBoardDep, db: SessionDep, live: LiveDep
) -> LeaderboardOut:
    return service.out(await service.update_board(db, board, body), live)


@boards.delete("/{board_id}", summary="Archive a board: it stops scoring (admin)")
async def archive_leaderboard(
    board: AdminBoardDep, db: SessionDep, live: LiveDep
) -> LeaderboardOut:
    return service.out(await service.archive_board(db, board), live)


@boards.get("/{board_id}/entries", summary="The ranking, best first, page by page")
async def list_entries(
    board: MemberBoardDep,
    caller: MemberDep,
    db: SessionDep,
    live: LiveDep,
    page: Annotated[PageRequest, paging(10, 100)],
) -> StandingsPage:
    """Pass `next_cursor` back as `cursor` for the next page. Members who hide are left
    out, and their places stay numbered (ranks count everyone)."""
    return await service.standings(db, live, caller.user_id, board, page)


@boards.get("/{board_id}/me", summary="My rank and score on this board")
async def my_entry(
    board: MemberBoardDep, caller: MemberDep, db: SessionDep, live: LiveDep
) -> MyStanding:
    """Shown even when I hide from everyone else."""
    return await service.my_standing(db, live, caller, board)


@boards.get("/{board_id}/around/{user_id}", summary="The members ranked around someone")
async def around_member(
    user_id: uuid.UUID,
    board: MemberBoardDep,
    caller: MemberDep,
    db: SessionDep,
    live: LiveDep,
    k: Annotated[int, Query(ge=1, le=25)] = 5,
) -> AroundPage:
    """Up to `k` visible members above and below `user_id` (use your own id for yourself)."""
    return await service.around(db, live, caller, board, user_id, k)


@boards.get(
    "/{board_id}/insights",
    summary="Where a member stands and how far the next places are (LeaderboardAgent)",
    responses={404: {"description": "No such board, or no such member in this tenant"}},
)
async def member_insights(
    board: MemberBoardDep,
    caller: MemberDep,
    db: SessionDep,
    live: LiveDep,
    members: MembersDep,
    user_id: Annotated[
        uuid.UUID | None, Query(description="Tenant admins: a member's, not their own")
    ] = None,
) -> Insights:
    """Rank and score in the live period, the gap to the nearest visible member above and
    to the top 10, and the member's best archived period, with the same in words."""
    return await insights.insights(db, live, caller, board, await members.whose(caller, user_id))


@boards.get("/{board_id}/periods", summary="Past periods of the board")
async def list_periods(
    board: MemberBoardDep, db: SessionDep, page: Annotated[PageRequest, paging(20, 100)]
) -> PeriodPage:
    """Newest first; pass `next_cursor` back as `cursor`."""
    return await service.list_periods(db, board, page)


@boards.get("/{board_id}/periods/{period_start}", summary="Final standings of a past period")
async def period_results(
    period_start: datetime,
    board: MemberBoardDep,
    caller: MemberDep,
    db: SessionDep,
    page: Annotated[PageRequest, paging(10, 100)],
) -> FinalStandings:
    period = service.aware(period_start) or period_start
    return await service.final_standings(db, caller, board, period, page)


@boards.get("/{board_id}/rejections", summary="Score changes the board refused (admin)")
async def list_rejections(
    board: AdminBoardDep, db: SessionDep, page: Annotated[PageRequest, paging(100, 500)]
) -> RejectionPage:
    return await service.rejections(db, board, page)


@boards.get(
    "/{board_id}/flags",
    summary="Score jumps held out of archived periods' final ranks (admin)",
)
async def list_flags(
    board: AdminBoardDep,
    db: SessionDep,
    state: Annotated[Literal["open", "cleared", "upheld"] | None, Query(alias="status")] = "open",
) -> FlagsOut:
    """A member whose score in a period was at least 5 times their own best of earlier
    periods and twice anybody else's gets no final rank until an admin decides."""
    return await flags.list_flags(db, board.id, state)


@boards.post(
    "/{board_id}/flags/{flag_id}/{decision}",
    summary="Clear a flag (rank the entry) or uphold it (keep it out) (admin)",
    responses={
        404: {"description": "No such flag on this board"},
        409: {"description": "Decided already"},
    },
)
async def decide_flag(
    flag_id: uuid.UUID,
    decision: Literal["clear", "uphold"],
    board: AdminBoardDep,
    caller: AdminDep,
    db: SessionDep,
) -> FlagOut:
    return await flags.decide(db, caller, board, flag_id, decision)


@boards.put("/{board_id}/privacy", summary="Hide from this board, or show under an alias")
async def set_privacy(
    body: PrivacyIn, board: MemberBoardDep, caller: MemberDep, db: SessionDep
) -> PrivacyOut:
    return await service.set_privacy(db, caller, board, body)


@boards.post("/{board_id}/rebuild", summary="Rebuild the live ranks from the record (admin)")
async def rebuild(board: AdminBoardDep, live: LiveDep) -> RebuildOut:
    return await service.rebuild(live, board)


router.include_router(boards)
router.include_router(platform_router)
