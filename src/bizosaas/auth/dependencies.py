"""Typed dependencies: who is calling, and the unit of work scoped to them.

Identity is resolved by the platform's one resolver
(:mod:`bizosaas.identity.resolver`): the HttpOnly cookie plus the session's CSRF
token on writes for browsers, a bearer token for API clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.auth.context import AuthContext
from bizosaas.auth.sessions.clients import ClientInfo
from bizosaas.core.database import RowScope
from bizosaas.core.net import request_ip
from bizosaas.identity.principal import Principal

bearer_scheme = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")


async def _auth_of(request: Request) -> AuthContext:
    return get_auth(request)


def get_auth(request: Request) -> AuthContext:
    auth: AuthContext = request.app.state.auth
    return auth


# Async dependencies run on the event loop; plain ones would cost a thread hand-off each.
AuthDep = Annotated[AuthContext, Depends(_auth_of)]


async def client_info(request: Request) -> ClientInfo:
    trusted = get_auth(request).runtime.settings.trusted_proxies
    return ClientInfo(
        ip=request_ip(request, trusted),
        user_agent=request.headers.get("user-agent", "")[:512],
    )


ClientDep = Annotated[ClientInfo, Depends(client_info)]


async def authenticate(request: Request, auth: AuthDep) -> Principal:
    """A member's or admin's access token (bearer, or the cookie plus CSRF on writes)."""
    identity = await auth.identity.resolve(
        request.method, auth.identity.presented(request.headers), accept_api_keys=False
    )
    principal = identity.principal
    assert principal is not None  # API keys are not accepted here
    request.state.tenant_id = str(principal.tenant_id) if principal.tenant_id else None
    request.state.user_id = str(principal.user_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


async def _scoped_session(
    request: Request, principal: CurrentPrincipal
) -> AsyncIterator[AsyncSession]:
    async with get_auth(request).runtime.database.transaction(principal.row_scope) as session:
        yield session


async def _platform_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_auth(request).runtime.database.transaction(RowScope.platform_wide()) as session:
        yield session


# scope="function": commit before the response leaves, so a client that reads
# its own write on the next request always sees it.
ScopedSession = Annotated[AsyncSession, Depends(_scoped_session, scope="function")]
PlatformSession = Annotated[AsyncSession, Depends(_platform_session, scope="function")]
