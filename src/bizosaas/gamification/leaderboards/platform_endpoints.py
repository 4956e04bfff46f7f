"""Platform boards (tenants ranked against each other) and the public view of tenant boards."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, status

from bizosaas.core.errors import Forbidden
from bizosaas.core.repository import PageRequest, paging
from bizosaas.gamification.dependencies import (
    LiveDep,
    MemberDep,
    PlatformDep,
    PublicSessionDep,
    SessionDep,
)
from bizosaas.gamification.leaderboards import platform, service
from bizosaas.gamification.leaderboards.dependencies import (
    PlatformBoardsDep,
    ReaderPlatformBoardsDep,
)
from bizosaas.gamification.leaderboards.repository import PlatformBoardRepository
from bizosaas.gamification.leaderboards.schemas import (
    LeaderboardOut,
    LeaderboardUpdate,
    PlatformLeaderboardCreate,
    PlatformStandings,
    PublicBoard,
)
from bizosaas.gamification.members.service import tenant_settings

router = APIRouter()
Industry = Annotated[str | None, Query(min_length=1, max_length=64)]


@dataclass(frozen=True, slots=True)
class Ranking:
    """What a reader of a platform board asks for."""

    board_id: uuid.UUID
    page: PageRequest
    industry: str | None
    at: datetime | None
    now: datetime


async def _ranking(
    board_id: uuid.UUID,
    live: LiveDep,
    page: Annotated[PageRequest, paging(10, 100)],
    industry: Industry = None,
    at: datetime | None = None,
) -> Ranking:
    return Ranking(board_id, page, industry, at, live.clock())


RankingDep = Annotated[Ranking, Depends(_ranking)]


async def _require_opted_in(db: SessionDep) -> None:
    if not (await tenant_settings(db)).platform_boards_opt_in:
        raise Forbidden(
            "Your organisation has not joined the platform boards (see the tenant settings)."
        )


@router.get("/platform/leaderboards", summary="Platform boards (members of opted-in tenants)")
async def list_platform_boards(
    caller: MemberDep, db: SessionDep, boards: ReaderPlatformBoardsDep, live: LiveDep
) -> list[LeaderboardOut]:
    await _require_opted_in(db)
    now = live.clock()
    return [platform.current(b, now) for b in await boards.list_boards(("active",))]


@router.get(
    "/platform/leaderboards/{board_id}/entries",
    summary="Opted-in tenants ranked on a platform board",
)
async def platform_entries(
    asked: RankingDep, caller: MemberDep, db: SessionDep, boards: ReaderPlatformBoardsDep
) -> PlatformStandings:
    """`industry` ranks only tenants of that industry; `at` picks a past period (the one
    containing that instant). `mine` is your organisation's place."""
    await _require_opted_in(db)
    return await _standings(boards, asked, caller.tenant_id)


@router.get("/platform-admin/leaderboards", summary="Every platform board (super admin)")
async def admin_list_platform_boards(
    boards: PlatformBoardsDep,
    live: LiveDep,
    status: Literal["active", "archived", "all"] = "all",
) -> list[LeaderboardOut]:
    statuses = ("active", "archived") if status == "all" else (status,)
    now = live.clock()
    return [platform.current(b, now) for b in await boards.list_boards(statuses)]


@router.post(
    "/platform-admin/leaderboards",
    status_code=status.HTTP_201_CREATED,
    summary="Define a platform board (super admin)",
)
async def create_platform_board(
    body: PlatformLeaderboardCreate,
    boards: PlatformBoardsDep,
    live: LiveDep,
    cache: PlatformDep,
) -> LeaderboardOut:
    """Scores the same metrics as tenant boards, summed per tenant; only tenants that
    opted in (tenant setting `platform_boards_opt_in`) are scored and ranked."""
    board = await service.create_board(boards, live, body)
    cache.forget()
    return platform.current(board, live.clock())


@router.patch("/platform-admin/leaderboards/{board_id}", summary="Change a platform board")
async def update_platform_board(
    board_id: uuid.UUID,
    body: LeaderboardUpdate,
    boards: PlatformBoardsDep,
    live: LiveDep,
    cache: PlatformDep,
) -> LeaderboardOut:
    board = await service.update_board(boards.session, await boards.board(board_id), body)
    cache.forget()
    return platform.current(board, live.clock())


@router.delete("/platform-admin/leaderboards/{board_id}", summary="Archive a platform board")
async def archive_platform_board(
    board_id: uuid.UUID, boards: PlatformBoardsDep, live: LiveDep, cache: PlatformDep
) -> LeaderboardOut:
    board = await service.archive_board(boards.session, await boards.board(board_id))
    cache.forget()
    return platform.current(board, live.clock())


@router.get(
    "/platform-admin/leaderboards/{board_id}/entries",
    summary="Opted-in tenants ranked on a platform board (super admin)",
)
async def admin_platform_entries(asked: RankingDep, boards: PlatformBoardsDep) -> PlatformStandings:
    return await _standings(boards, asked, None)


@router.get(
    "/public/leaderboards/{tenant_id}/{key}",
    summary="A public board's top, without login",
    responses={404: {"description": "No such board, or the tenant keeps boards members-only"}},
)
async def public_board(
    tenant_id: uuid.UUID,
    key: Annotated[str, Path(max_length=64)],
    db: PublicSessionDep,
    live: LiveDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> PublicBoard:
    """Read-only: board `visibility` must be `public` and the tenant's
    `boards_members_only` off. Members who hide are left out; no member ids are shown."""
    return await service.public_board(db, live, key, limit)


async def _standings(
    boards: PlatformBoardRepository, asked: Ranking, tenant_id: uuid.UUID | None
) -> PlatformStandings:
    return await platform.standings(
        boards,
        await boards.board(asked.board_id),
        asked.now,
        industry=asked.industry,
        period_at=service.aware(asked.at),
        page=asked.page,
        tenant_id=tenant_id,
    )
