"""Who is calling the gamification service, its services, and the unit of work per tenant.

A caller is a member's access token (bearer, or the HttpOnly cookie plus the CSRF
header on writes) or a tenant API key (``X-API-Key``, server-side sources only),
resolved by the platform's one resolver. Either way the tenant comes from the
credential, never from the request body, and every transaction is scoped to it by
row-level security. The services built in :mod:`.services` reach endpoints through
the typed aliases below.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.api_keys import ApiKeyDirectory
from bizosaas.core.database import Database, RowScope
from bizosaas.core.errors import Forbidden, NotFound, Unauthorized
from bizosaas.core.members import ClaimsSnapshot, MemberDirectory
from bizosaas.core.net import request_ip
from bizosaas.core.wake import Wake
from bizosaas.gamification.agents.service import AgentTasks
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.db import PLATFORM_SCOPE
from bizosaas.gamification.events.pipeline import EventHandler
from bizosaas.gamification.events.replays import ReplayRunner
from bizosaas.gamification.events.service import EventService
from bizosaas.gamification.leaderboards.live import LiveRanks
from bizosaas.gamification.leaderboards.platform import PlatformBoards
from bizosaas.gamification.members.service import MemberService
from bizosaas.gamification.notifications.service import Notifier
from bizosaas.gamification.portfolios.writing import Writer
from bizosaas.gamification.referrals.codes import ReferralCodes
from bizosaas.gamification.referrals.conversions import ReferralConversions
from bizosaas.gamification.referrals.links import ShareLinks
from bizosaas.gamification.referrals.review import ReferralReview
from bizosaas.gamification.services import GamificationServices
from bizosaas.identity.principal import Principal
from bizosaas.identity.resolver import IdentityResolver
from bizosaas.identity.vocabulary import Permission, Role

T = TypeVar("T")
bearer_scheme = HTTPBearer(auto_error=False, description="A member's access token")
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A tenant API key (server-side sources)"
)


def services_of(request: Request) -> GamificationServices:
    services: GamificationServices = request.app.state.services
    return services


def visitor_ip(request: Request) -> str | None:
    """The visitor's address: the gateway's X-Forwarded-For, believed from a trusted proxy."""
    return request_ip(request, services_of(request).runtime.settings.trusted_proxies)


# -- the services, as typed dependencies (built once, in services.py) --------------------


def _provide(pick: Callable[[GamificationServices], T]) -> Callable[[Request], Awaitable[T]]:
    async def provider(request: Request) -> T:
        return pick(services_of(request))

    return provider


IdentityDep = Annotated[IdentityResolver, Depends(_provide(lambda s: s.identity))]
DatabaseDep = Annotated[Database, Depends(_provide(lambda s: s.runtime.database))]
EventsDep = Annotated[EventService, Depends(_provide(lambda s: s.events))]
ReplaysDep = Annotated[ReplayRunner, Depends(_provide(lambda s: s.replays))]
WakeDep = Annotated[Wake, Depends(_provide(lambda s: s.wake))]
HandlersDep = Annotated[list[EventHandler], Depends(_provide(lambda s: s.handlers))]
DirectoryDep = Annotated[MemberDirectory, Depends(_provide(lambda s: s.directory))]
ClaimsDep = Annotated[ClaimsSnapshot, Depends(_provide(lambda s: s.claims))]
NotifierDep = Annotated[Notifier, Depends(_provide(lambda s: s.notifier))]
MembersDep = Annotated[MemberService, Depends(_provide(lambda s: s.members))]
ApiKeysDep = Annotated[ApiKeyDirectory, Depends(_provide(lambda s: s.api_keys))]
ReferralCodesDep = Annotated[ReferralCodes, Depends(_provide(lambda s: s.referral_codes))]
ConversionsDep = Annotated[ReferralConversions, Depends(_provide(lambda s: s.conversions))]
ReviewDep = Annotated[ReferralReview, Depends(_provide(lambda s: s.review))]
ShareLinksDep = Annotated[ShareLinks, Depends(_provide(lambda s: s.share_links))]
AgentsDep = Annotated[AgentTasks, Depends(_provide(lambda s: s.agents))]
WriterDep = Annotated[Writer, Depends(_provide(lambda s: s.writer))]
LiveDep = Annotated[LiveRanks, Depends(_provide(lambda s: s.live))]
PlatformDep = Annotated[PlatformBoards, Depends(_provide(lambda s: s.platform))]


# -- who is calling ------------------------------------------------------------------------


async def authenticate(
    request: Request,
    identity: IdentityDep,
    # Declared for the OpenAPI's security schemes; the resolver reads the headers itself.
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    _api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Caller:
    found = await identity.resolve(request.method, identity.presented(request.headers))
    if found.principal is not None:
        principal = found.principal
        if principal.tenant_id is None:
            raise Forbidden("Gamification belongs to a tenant; super admins have none.")
        caller = Caller(
            tenant_id=principal.tenant_id,
            user_id=principal.user_id,
            role=principal.role,
            permissions=principal.permissions,
            tenant_slug=principal.tenant_slug,
        )
    else:
        info = found.api_key
        assert info is not None  # the resolver checked PostgreSQL where Redis did not know it
        tenant = await identity.tenants.get(info.tenant_id)
        caller = Caller(
            tenant_id=info.tenant_id,
            user_id=None,
            role=None,
            permissions=frozenset(),
            api_key_id=info.key_id,
            api_key_scopes=info.scopes,
            tenant_slug=tenant.slug if tenant else None,
        )
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


async def _session(database: DatabaseDep, caller: CallerDep) -> AsyncIterator[AsyncSession]:
    async with database.transaction(caller.row_scope) as session:
        yield session


# scope="function": commit before the response leaves (read-your-writes on the next call).
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


async def _public_session(
    identity: IdentityDep, database: DatabaseDep, tenant_id: uuid.UUID
) -> AsyncIterator[AsyncSession]:
    """Login-free views (public boards, published portfolios): the tenant comes from the path,
    and a suspended tenant shows nothing."""
    try:
        await identity.refuse_suspended(tenant_id)
    except Forbidden:
        raise NotFound("Nothing is published here.") from None
    async with database.transaction(RowScope.tenant(tenant_id)) as db:
        yield db


PublicSessionDep = Annotated[AsyncSession, Depends(_public_session, scope="function")]


async def _named_tenant_session(
    identity: IdentityDep,
    database: DatabaseDep,
    tenant_slug: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")],
) -> AsyncIterator[AsyncSession]:
    """Login-free views of a tenant named by its slug (public pages' addresses)."""
    tenant = await identity.tenants.by_slug(tenant_slug)
    if tenant is None or tenant.suspended:
        raise NotFound("Nothing is published here.")
    async with database.transaction(RowScope.tenant(tenant.tenant_id)) as db:
        yield db


NamedTenantSessionDep = Annotated[AsyncSession, Depends(_named_tenant_session, scope="function")]


async def platform_admin(
    request: Request,
    identity: IdentityDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """A super admin's bearer token: super admins have no tenant, so no tenant caller; what
    they do here (platform boards, revoking any tenant's key) crosses tenants."""
    if credentials is None:
        raise Unauthorized()
    found = await identity.resolve(
        request.method, identity.presented(request.headers), accept_api_keys=False
    )
    principal = found.principal
    assert principal is not None
    if principal.role is not Role.SUPER_ADMIN:
        raise Forbidden("Only a super admin may do this.")
    request.state.user_id = str(principal.user_id)
    return principal


PlatformAdminDep = Annotated[Principal, Depends(platform_admin)]


async def _platform_session(
    database: DatabaseDep, admin: PlatformAdminDep
) -> AsyncIterator[AsyncSession]:
    async with database.transaction(PLATFORM_SCOPE) as db:
        yield db


async def _every_tenant_session(
    database: DatabaseDep, admin: PlatformAdminDep
) -> AsyncIterator[AsyncSession]:
    async with database.transaction(RowScope.platform_wide()) as db:
        yield db


# A super admin's unit of work over the platform's own rows (platform boards), reading
# across tenants; and one over every tenant's rows alike (revoking an abused key).
PlatformSessionDep = Annotated[AsyncSession, Depends(_platform_session, scope="function")]
EveryTenantSessionDep = Annotated[AsyncSession, Depends(_every_tenant_session, scope="function")]


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
