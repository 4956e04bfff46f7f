"""Who is calling the gamification service, and the unit of work scoped to their tenant.

A caller is a member's access token (bearer, or the HttpOnly cookie plus the CSRF
header on writes) or a tenant API key (``X-API-Key``, server-side sources only).
Either way the tenant comes from the credential, never from the request body, and
every transaction is scoped to it by row-level security.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.auth.constants import CSRF_HEADER, CookieNames, Permission
from bizosaas.auth.csrf import csrf_token_matches
from bizosaas.auth.principal import Principal
from bizosaas.core.api_keys import ApiKeyInfo, hash_api_key, tenant_of
from bizosaas.core.database import Scope, utcnow
from bizosaas.core.errors import Forbidden, NotFound, Unauthorized
from bizosaas.gamification.apikeys.models import ApiKey
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.context import GamificationContext

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
bearer_scheme = HTTPBearer(auto_error=False, description="A member's access token")
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A tenant API key (server-side sources)"
)


def context_of(request: Request) -> GamificationContext:
    context: GamificationContext = request.app.state.gamification
    return context


async def _context(request: Request) -> GamificationContext:
    return context_of(request)


ContextDep = Annotated[GamificationContext, Depends(_context)]


async def _principal(
    request: Request, context: GamificationContext, credentials: HTTPAuthorizationCredentials | None
) -> Principal | None:
    if credentials is not None:
        return await context.verifier.verify(credentials.credentials)
    cookies = CookieNames(context.runtime.settings.secure_cookies)
    token = request.cookies.get(cookies.access)
    if not token:
        return None
    principal = await context.verifier.verify(token)
    if request.method not in SAFE_METHODS and not csrf_token_matches(
        context.csrf_secret, principal.session_id, request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden("Missing or invalid CSRF token.")
    return principal


async def verify_api_key(context: GamificationContext, key: str) -> ApiKeyInfo:
    """Redis first (the gateway reads the same entry); PostgreSQL when the cache lost it."""
    info = await context.api_keys.lookup(key)
    if info is not None:
        return info
    tenant_id = tenant_of(key)
    if tenant_id is None:
        raise Unauthorized("The API key is not valid.")
    key_hash = hash_api_key(key)
    async with context.runtime.database.transaction(Scope.tenant(tenant_id)) as db:
        row = (
            await db.execute(select(ApiKey).where(ApiKey.key_hash == key_hash))
        ).scalar_one_or_none()
        if row is None or row.revoked_at is not None:
            raise Unauthorized("The API key is not valid.")
        if row.expires_at is not None and row.expires_at <= utcnow():
            raise Unauthorized("The API key has expired.")
        info = ApiKeyInfo(row.id, row.tenant_id, tuple(row.scopes))
        expires_at = row.expires_at
    await context.api_keys.publish(key_hash, info, expires_at)
    return info


async def authenticate(
    request: Request,
    context: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Caller:
    principal = await _principal(request, context, credentials)
    if principal is not None:
        if principal.tenant_id is None:
            raise Forbidden("Gamification belongs to a tenant; super admins have none.")
        caller = Caller(
            tenant_id=principal.tenant_id,
            user_id=principal.user_id,
            role=principal.role,
            permissions=principal.permissions,
        )
    elif api_key:
        info = await verify_api_key(context, api_key)
        caller = Caller(
            tenant_id=info.tenant_id,
            user_id=None,
            role=None,
            permissions=frozenset(),
            api_key_id=info.key_id,
            api_key_scopes=info.scopes,
        )
    else:
        raise Unauthorized()
    tenant = await context.tenants.get(caller.tenant_id)
    if tenant is not None and tenant.suspended:
        raise Forbidden("Your organisation's account is suspended.")
    request.state.tenant_id = str(caller.tenant_id)
    request.state.user_id = str(caller.user_id) if caller.user_id else None
    return caller


CallerDep = Annotated[Caller, Depends(authenticate)]


async def member_caller(caller: CallerDep) -> Caller:
    """A member with access to gamification (or a tenant admin)."""
    caller.require_member()
    caller.require(Permission.ACCESS_GAMIFICATION)
    return caller


async def admin_caller(caller: CallerDep) -> Caller:
    caller.require_admin()
    return caller


MemberDep = Annotated[Caller, Depends(member_caller)]
AdminDep = Annotated[Caller, Depends(admin_caller)]


async def _session(request: Request, caller: CallerDep) -> AsyncIterator[AsyncSession]:
    async with context_of(request).runtime.database.transaction(caller.scope) as session:
        yield session


# scope="function": commit before the response leaves (read-your-writes on the next call).
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


async def _public_session(request: Request, tenant_id: uuid.UUID) -> AsyncIterator[AsyncSession]:
    """Login-free views (public boards, published portfolios): the tenant comes from the path,
    and a suspended tenant shows nothing."""
    context = context_of(request)
    tenant = await context.tenants.get(tenant_id)
    if tenant is not None and tenant.suspended:
        raise NotFound("Nothing is published here.")
    async with context.runtime.database.transaction(Scope.tenant(tenant_id)) as db:
        yield db


PublicSessionDep = Annotated[AsyncSession, Depends(_public_session, scope="function")]


def require_permission(permission: Permission):  # type: ignore[no-untyped-def]
    async def _check(caller: CallerDep) -> Caller:
        caller.require(permission)
        return caller

    return _check


ManageAchievementsDep = Annotated[
    Caller, Depends(require_permission(Permission.MANAGE_ACHIEVEMENTS))
]
ViewAnalyticsDep = Annotated[Caller, Depends(require_permission(Permission.VIEW_ANALYTICS))]
ViewReferralsDep = Annotated[Caller, Depends(require_permission(Permission.VIEW_REFERRALS))]
