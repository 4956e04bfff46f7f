"""Typed dependencies of the leaderboard routes: the live ranks, a board, the platform admin.

Super admins have no tenant, so the usual caller refuses them; platform boards are
managed with their bearer token, verified here, in platform-scoped transactions.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from bizosaas.core.errors import Forbidden, Unauthorized
from bizosaas.gamification.db import PLATFORM_SCOPE
from bizosaas.gamification.dependencies import (
    AdminDep,
    DatabaseDep,
    IdentityDep,
    MemberDep,
    SessionDep,
    bearer_scheme,
)
from bizosaas.gamification.leaderboards import service
from bizosaas.gamification.leaderboards.models import Leaderboard
from bizosaas.gamification.leaderboards.repository import PlatformBoardRepository
from bizosaas.identity.principal import Principal
from bizosaas.identity.vocabulary import Role


async def _member_board(board_id: uuid.UUID, caller: MemberDep, db: SessionDep) -> Leaderboard:
    return await service.tenant_board(db, board_id)


async def _admin_board(board_id: uuid.UUID, caller: AdminDep, db: SessionDep) -> Leaderboard:
    return await service.tenant_board(db, board_id)


MemberBoardDep = Annotated[Leaderboard, Depends(_member_board)]
AdminBoardDep = Annotated[Leaderboard, Depends(_admin_board)]


async def platform_admin(
    request: Request,
    identity: IdentityDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """A super admin's bearer token (super admins have no tenant, so no tenant caller)."""
    if credentials is None:
        raise Unauthorized()
    found = await identity.resolve(
        request.method, identity.presented(request.headers), accept_api_keys=False
    )
    principal = found.principal
    assert principal is not None
    if principal.role is not Role.SUPER_ADMIN:
        raise Forbidden("Only a super admin may manage platform boards.")
    return principal


PlatformAdminDep = Annotated[Principal, Depends(platform_admin)]


async def _platform_boards(
    database: DatabaseDep, admin: PlatformAdminDep
) -> AsyncIterator[PlatformBoardRepository]:
    async with database.transaction(PLATFORM_SCOPE) as db:
        yield PlatformBoardRepository(db)


PlatformBoardsDep = Annotated[PlatformBoardRepository, Depends(_platform_boards, scope="function")]


async def _reader_platform_boards(
    database: DatabaseDep, caller: MemberDep
) -> AsyncIterator[PlatformBoardRepository]:
    """Members read platform boards across tenants; what they see is filtered in SQL."""
    async with database.transaction(PLATFORM_SCOPE) as db:
        yield PlatformBoardRepository(db)


ReaderPlatformBoardsDep = Annotated[
    PlatformBoardRepository, Depends(_reader_platform_boards, scope="function")
]
