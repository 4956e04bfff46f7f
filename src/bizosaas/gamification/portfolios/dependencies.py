"""Who may manage portfolios, and the session of the public (login-free) page."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.auth.constants import Permission
from bizosaas.core.database import Scope
from bizosaas.core.errors import NotFound
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.dependencies import CallerDep, context_of


async def manager_caller(caller: CallerDep) -> Caller:
    """A tenant admin, or a member with the manage_portfolios permission."""
    caller.require_member()
    if not caller.is_tenant_admin:
        caller.require(Permission.MANAGE_PORTFOLIOS)
    return caller


ManagePortfoliosDep = Annotated[Caller, Depends(manager_caller)]


async def _public_session(request: Request, tenant_id: uuid.UUID) -> AsyncIterator[AsyncSession]:
    """No caller: the tenant comes from the path, and a suspended tenant shows nothing."""
    context = context_of(request)
    tenant = await context.tenants.get(tenant_id)
    if tenant is not None and tenant.suspended:
        raise NotFound("No such published portfolio.")
    async with context.runtime.database.transaction(Scope.tenant(tenant_id)) as db:
        yield db


PublicSessionDep = Annotated[AsyncSession, Depends(_public_session, scope="function")]
