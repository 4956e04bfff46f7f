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
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.auth.constants import Role
from bizosaas.auth.principal import Principal
from bizosaas.core.database import Scope
from bizosaas.core.errors import Forbidden, Unauthorized
from bizosaas.gamification.dependencies import (
    AdminDep,
    MemberDep,
    SessionDep,
    bearer_scheme,
    context_of,
)
from bizosaas.gamification.leaderboards import service
from bizosaas.gamification.leaderboards.handler import handler_of
from bizosaas.gamification.leaderboards.live import LiveRanks
from bizosaas.gamification.leaderboards.models import Leaderboard
from bizosaas.gamification.leaderboards.platform import PlatformBoards


async def _live(request: Request) -> LiveRanks:
    return handler_of(context_of(request)).live


async def _platform(request: Request) -> PlatformBoards:
    return handler_of(context_of(request)).platform


LiveDep = Annotated[LiveRanks, Depends(_live)]
PlatformDep = Annotated[PlatformBoards, Depends(_platform)]


async def _member_board(board_id: uuid.UUID, caller: MemberDep, db: SessionDep) -> Leaderboard:
    return await service.tenant_board(db, caller, board_id)


async def _admin_board(board_id: uuid.UUID, caller: AdminDep, db: SessionDep) -> Leaderboard:
    return await service.tenant_board(db, caller, board_id)


MemberBoardDep = Annotated[Leaderboard, Depends(_member_board)]
AdminBoardDep = Annotated[Leaderboard, Depends(_admin_board)]


async def platform_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None:
        raise Unauthorized()
    principal = await context_of(request).verifier.verify(credentials.credentials)
    if principal.role is not Role.SUPER_ADMIN:
        raise Forbidden("Only a super admin may manage platform boards.")
    return principal


PlatformAdminDep = Annotated[Principal, Depends(platform_admin)]


async def _platform_session(
    request: Request, admin: PlatformAdminDep
) -> AsyncIterator[AsyncSession]:
    async with context_of(request).runtime.database.transaction(Scope.platform_wide()) as db:
        yield db


PlatformSessionDep = Annotated[AsyncSession, Depends(_platform_session, scope="function")]


async def _reader_platform_session(
    request: Request, caller: MemberDep
) -> AsyncIterator[AsyncSession]:
    """Members read platform boards across tenants; what they see is filtered in SQL."""
    async with context_of(request).runtime.database.transaction(Scope.platform_wide()) as db:
        yield db


ReaderPlatformSessionDep = Annotated[
    AsyncSession, Depends(_reader_platform_session, scope="function")
]
