"""Typed dependencies: who is calling, and the unit of work scoped to them.

A browser authenticates with the HttpOnly access cookie and must then send the
session's CSRF token on every state-changing request; an API client sends a
bearer token and needs none (no ambient credentials to abuse).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.auth.constants import CSRF_HEADER, CookieNames, Role
from bizosaas.auth.context import AuthContext
from bizosaas.auth.csrf import csrf_token_matches
from bizosaas.auth.principal import Principal
from bizosaas.auth.service import ClientInfo
from bizosaas.core.database import Scope
from bizosaas.core.errors import Forbidden, Unauthorized
from bizosaas.core.net import client_ip

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
bearer_scheme = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")


async def _auth_of(request: Request) -> AuthContext:
    return get_auth(request)


def get_auth(request: Request) -> AuthContext:
    auth: AuthContext = request.app.state.auth
    return auth


# Async dependencies run on the event loop; plain ones would cost a thread hand-off each.
AuthDep = Annotated[AuthContext, Depends(_auth_of)]


async def client_info(request: Request) -> ClientInfo:
    peer = request.client.host if request.client else None
    trusted = get_auth(request).runtime.settings.trusted_proxies
    return ClientInfo(
        ip=client_ip(peer, request.headers.get("x-forwarded-for"), trusted),
        user_agent=request.headers.get("user-agent", "")[:512],
    )


ClientDep = Annotated[ClientInfo, Depends(client_info)]


async def authenticate(
    request: Request,
    auth: AuthDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is not None:
        principal = await auth.verifier.verify(credentials.credentials)
    else:
        cookies = CookieNames(auth.runtime.settings.secure_cookies)
        token = request.cookies.get(cookies.access)
        if not token:
            raise Unauthorized()
        principal = await auth.verifier.verify(token)
        if request.method not in SAFE_METHODS and not csrf_token_matches(
            auth.csrf_secret, principal.session_id, request.headers.get(CSRF_HEADER)
        ):
            raise Forbidden("Missing or invalid CSRF token.")
    request.state.tenant_id = str(principal.tenant_id) if principal.tenant_id else None
    request.state.user_id = str(principal.user_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: Role):  # type: ignore[no-untyped-def]
    async def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden("Your role may not do this.")
        return principal

    return _check


async def _scoped_session(
    request: Request, principal: CurrentPrincipal
) -> AsyncIterator[AsyncSession]:
    async with get_auth(request).runtime.database.transaction(principal.scope) as session:
        yield session


async def _platform_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_auth(request).runtime.database.transaction(Scope.platform_wide()) as session:
        yield session


# scope="function": commit before the response leaves, so a client that reads
# its own write on the next request always sees it.
ScopedSession = Annotated[AsyncSession, Depends(_scoped_session, scope="function")]
PlatformSession = Annotated[AsyncSession, Depends(_platform_session, scope="function")]
