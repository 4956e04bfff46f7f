"""Typed dependencies of the leaderboard routes: a board, and platform boards (managed by
a super admin in a platform-wide transaction, see :data:`PlatformSessionDep`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends

from bizosaas.gamification.db import PLATFORM_SCOPE
from bizosaas.gamification.dependencies import (
    AdminDep,
    DatabaseDep,
    MemberDep,
    PlatformSessionDep,
    SessionDep,
)
from bizosaas.gamification.leaderboards import service
from bizosaas.gamification.leaderboards.models import Leaderboard
from bizosaas.gamification.leaderboards.repository import PlatformBoardRepository


async def _member_board(board_id: uuid.UUID, caller: MemberDep, db: SessionDep) -> Leaderboard:
    return await service.tenant_board(db, board_id)


async def _admin_board(board_id: uuid.UUID, caller: AdminDep, db: SessionDep) -> Leaderboard:
    return await service.tenant_board(db, board_id)


MemberBoardDep = Annotated[Leaderboard, Depends(_member_board)]
AdminBoardDep = Annotated[Leaderboard, Depends(_admin_board)]


async def _platform_boards(db: PlatformSessionDep) -> PlatformBoardRepository:
    return PlatformBoardRepository(db)


PlatformBoardsDep = Annotated[PlatformBoardRepository, Depends(_platform_boards)]


async def _reader_platform_boards(
    database: DatabaseDep, caller: MemberDep
) -> AsyncIterator[PlatformBoardRepository]:
    """Members read platform boards across tenants; what they see is filtered in SQL."""
    async with database.transaction(PLATFORM_SCOPE) as db:
        yield PlatformBoardRepository(db)


ReaderPlatformBoardsDep = Annotated[
    PlatformBoardRepository, Depends(_reader_platform_boards, scope="function")
]
