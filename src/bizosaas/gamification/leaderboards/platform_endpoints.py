"""Platform boards (tenants ranked against each other) and the public view of tenant boards."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from bizosaas.core.repository import CursorQuery, cursor_value
from bizosaas.gamification.db import PLATFORM_TENANT
from bizosaas.gamification.dependencies import (
    LiveDep,
    MemberDep,
    PlatformDep,
    PublicSessionDep,
    SessionDep,
)
from bizosaas.gamification.leaderboards import platform, service
from bizosaas.gamification.leaderboards.dependencies import (
    PlatformSessionDep,
    ReaderPlatformSessionDep,
)
from bizosaas.gamification.leaderboards.schemas import (
    LeaderboardOut,
    LeaderboardUpdate,
    PlatformLeaderboardCreate,
    PlatformStandings,
    PublicBoard,
)

router = APIRouter()
Industry = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.get("/platform/leaderboards", summary="Platform boards (members of opted-in tenants)")
async def list_platform_boards(
    caller: MemberDep, db: SessionDep, platform_db: ReaderPlatformSessionDep, live: LiveDep
) -> list[LeaderboardOut]:
    await platform.require_opted_in(db, caller.tenant_id)
    now = live.clock()
    return [platform.current(b, now) for b in await platform.list_boards(platform_db, ("active",))]


@router.get(
    "/platform/leaderboards/{board_id}/entries",
    summary="Opted-in tenants ranked on a platform board",
)
async def platform_entries(
    board_id: uuid.UUID,
    caller: MemberDep,
    db: SessionDep,
    platform_db: ReaderPlatformSessionDep,
    live: LiveDep,
    industry: Industry = None,
    at: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    cursor: CursorQuery = None,
) -> PlatformStandings:
    """`industry` ranks only tenants of that industry; `at` picks a past period (the one
    containing that instant). `mine` is your organisation's place."""
    await platform.require_opted_in(db, caller.tenant_id)
    board = await platform.get_board(platform_db, board_id)
    return await platform.standings(
        platform_db,
        board,
        live.clock(),
        industry=industry,
        period_at=service.aware(at),
        offset=_offset(cursor),
        limit=limit,
        tenant_id=caller.tenant_id,
    )


@router.get("/platform-admin/leaderboards", summary="Every platform board (super admin)")
async def admin_list_platform_boards(
    db: PlatformSessionDep,
    live: LiveDep,
    status: Literal["active", "archived", "all"] = "all",
) -> list[LeaderboardOut]:
    statuses = ("active", "archived") if status == "all" else (status,)
    now = live.clock()
    return [platform.current(b, now) for b in await platform.list_boards(db, statuses)]


@router.post(
    "/platform-admin/leaderboards",
    status_code=status.HTTP_201_CREATED,
    summary="Define a platform board (super admin)",
)
async def create_platform_board(
    body: PlatformLeaderboardCreate, db: PlatformSessionDep, live: LiveDep, boards: PlatformDep
) -> LeaderboardOut:
    """Scores the same metrics as tenant boards, summed per tenant; only tenants that
    opted in (tenant setting `platform_boards_opt_in`) are scored and ranked."""
    board = await service.create_board(db, live, PLATFORM_TENANT, body, scope="platform")
    boards.forget()
    return platform.current(board, live.clock())


@router.patch("/platform-admin/leaderboards/{board_id}", summary="Change a platform board")
async def update_platform_board(
    board_id: uuid.UUID,
    body: LeaderboardUpdate,
    db: PlatformSessionDep,
    live: LiveDep,
    boards: PlatformDep,
) -> LeaderboardOut:
    board = await service.update_board(db, await platform.get_board(db, board_id), body)
    boards.forget()
    return platform.current(board, live.clock())


@router.delete("/platform-admin/leaderboards/{board_id}", summary="Archive a platform board")
async def archive_platform_board(
    board_id: uuid.UUID, db: PlatformSessionDep, live: LiveDep, boards: PlatformDep
) -> LeaderboardOut:
    board = await service.archive_board(db, await platform.get_board(db, board_id))
    boards.forget()
    return platform.current(board, live.clock())


@router.get(
    "/platform-admin/leaderboards/{board_id}/entries",
    summary="Opted-in tenants ranked on a platform board (super admin)",
)
async def admin_platform_entries(
    board_id: uuid.UUID,
    db: PlatformSessionDep,
    live: LiveDep,
    industry: Industry = None,
    at: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    cursor: CursorQuery = None,
) -> PlatformStandings:
    board = await platform.get_board(db, board_id)
    return await platform.standings(
        db,
        board,
        live.clock(),
        industry=industry,
        period_at=service.aware(at),
        offset=_offset(cursor),
        limit=limit,
        tenant_id=None,
    )


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
    return await service.public_board(db, live, tenant_id, key, limit)


def _offset(cursor: str | None) -> int:
    """Platform boards rank a few thousand tenants at most: their pages are offsets."""
    return cursor_value(cursor, int) or 0
