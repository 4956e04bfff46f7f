"""Routes of tenants, users, invitations, the audit log, and fastapi-users' registration,
verification and password-reset flows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi_users.router import get_register_router, get_reset_password_router, get_verify_router

from bizosaas.auth.audit import AuditLog
from bizosaas.auth.dependencies import (
    AuthDep,
    ClientDep,
    CurrentPrincipal,
    PlatformSession,
    ScopedSession,
    get_auth,
)
from bizosaas.auth.models import User
from bizosaas.auth.schemas import (
    AuditEntry,
    AuditPage,
    InvitationAccept,
    TenantCreate,
    TenantOut,
    TenantPage,
    TenantUpdate,
    UserCreate,
    UserCreated,
    UserOut,
    UserPage,
    UserRead,
    UserRegister,
    UserUpdate,
)
from bizosaas.auth.users.manager import FlushingUserDatabase, UserManager
from bizosaas.auth.users.service import ManagementService
from bizosaas.core.database import RowScope
from bizosaas.core.errors import Forbidden
from bizosaas.core.repository import PageRequest, paging
from bizosaas.identity.vocabulary import Role

router = APIRouter(prefix="/api/v1/auth")


@router.get("/tenants", tags=["tenants"])
async def list_tenants(
    principal: CurrentPrincipal,
    db: ScopedSession,
    auth: AuthDep,
    page: Annotated[PageRequest, paging(50, 200)],
) -> TenantPage:
    """Every tenant (super admin), or the caller's own; oldest first."""
    found = await ManagementService(auth).list_tenants(db, page)
    return TenantPage(
        tenants=[TenantOut.model_validate(t) for t in found.items], next_cursor=found.next_cursor
    )


@router.post("/tenants", response_model=TenantOut, status_code=201, tags=["tenants"])
async def create_tenant(
    body: TenantCreate, principal: CurrentPrincipal, db: ScopedSession, auth: AuthDep
) -> Any:
    """Create a tenant (super admin)."""
    return await ManagementService(auth).create_tenant(db, principal, body)


@router.get("/tenants/{tenant_id}", response_model=TenantOut, tags=["tenants"])
async def get_tenant(
    tenant_id: uuid.UUID, principal: CurrentPrincipal, db: ScopedSession, auth: AuthDep
) -> Any:
    """One tenant; another tenant's id answers 404."""
    return await ManagementService(auth).get_tenant(db, principal, tenant_id)


@router.patch("/tenants/{tenant_id}", response_model=TenantOut, tags=["tenants"])
async def update_tenant(
    tenant_id: uuid.UUID,
    body: TenantUpdate,
    principal: CurrentPrincipal,
    db: ScopedSession,
    auth: AuthDep,
    client: ClientDep,
) -> Any:
    """Change a tenant's profile (name, industry, timezone, colour, logo: its own admins may),
    or re-plan it, change its rate limit, or suspend/reactivate it (super admin only).
    Suspension ends the sessions of all its users at once."""
    return await ManagementService(auth).update_tenant(db, principal, tenant_id, body, client.ip)


@router.get("/users", tags=["users"])
async def list_users(
    principal: CurrentPrincipal,
    db: ScopedSession,
    auth: AuthDep,
    page: Annotated[PageRequest, paging(50, 200)],
    q: Annotated[
        str | None,
        Query(max_length=100, description="Only users whose email or name contains this"),
    ] = None,
) -> UserPage:
    """Users of the caller's tenant (tenant admin) or of every tenant (super admin); oldest
    first."""
    found = await ManagementService(auth).list_users(db, principal, page, q)
    return UserPage(
        users=[UserOut.model_validate(u) for u in found.items], next_cursor=found.next_cursor
    )


@router.post("/users", response_model=UserCreated, status_code=201, tags=["users"])
async def create_user(
    body: UserCreate,
    principal: CurrentPrincipal,
    db: ScopedSession,
    auth: AuthDep,
    client: ClientDep,
) -> Any:
    """Create a user with a password, or without one to send a single-use invitation link."""
    user, link = await ManagementService(auth).create_user(db, principal, body, client.ip)
    return UserCreated.model_validate(
        {**UserOut.model_validate(user).model_dump(), "invitation_url": link}
    )


@router.get("/users/{user_id}", response_model=UserOut, tags=["users"])
async def get_user(
    user_id: uuid.UUID, principal: CurrentPrincipal, db: ScopedSession, auth: AuthDep
) -> Any:
    """One user; another tenant's user answers 404."""
    return await ManagementService(auth).get_user(db, principal, user_id)


@router.patch("/users/{user_id}", response_model=UserOut, tags=["users"])
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    principal: CurrentPrincipal,
    db: ScopedSession,
    auth: AuthDep,
    client: ClientDep,
) -> Any:
    """Change name, role, permissions, platforms or active state; applies on the user's next
    request. Disabling ends all the user's sessions."""
    return await ManagementService(auth).update_user(db, principal, user_id, body, client.ip)


@router.delete("/users/{user_id}/sessions", status_code=204, tags=["users"])
async def end_user_sessions(
    user_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: ScopedSession,
    auth: AuthDep,
    client: ClientDep,
) -> Response:
    """Sign a user out on every device at once (a lost phone, a shared computer); unlike
    disabling, they may sign in again."""
    service = ManagementService(auth)
    user = await service.get_user(db, principal, user_id)
    await service.end_user_sessions(db, principal, user, client.ip)
    return Response(status_code=204)


@router.delete("/users/{user_id}", status_code=204, tags=["users"])
async def disable_user(
    user_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: ScopedSession,
    auth: AuthDep,
    client: ClientDep,
) -> Response:
    """Disable a user and end all their sessions (the account and its audit trail are kept).
    Someone invited who never joined is removed instead: the invitation is withdrawn and the
    email may be invited again."""
    service = ManagementService(auth)
    user = await service.get_user(db, principal, user_id)
    await service.disable_user(db, principal, user, client.ip)
    return Response(status_code=204)


@router.post("/invitations/accept", response_model=UserOut, tags=["users"])
async def accept_invitation(
    body: InvitationAccept, db: PlatformSession, auth: AuthDep, client: ClientDep
) -> Any:
    """Set a password with the single-use token from an invitation link."""
    return await ManagementService(auth).accept_invitation(db, body, client.ip)


@router.get("/audit", tags=["users"])
async def audit_log(
    principal: CurrentPrincipal,
    db: ScopedSession,
    page: Annotated[PageRequest, paging(100, 500)],
) -> AuditPage:
    """Security events, newest first: the tenant's own (tenant admin) or all (super admin)."""
    if principal.role not in (Role.SUPER_ADMIN, Role.TENANT_ADMIN):
        raise Forbidden("Only administrators may read the audit log.")
    found = await AuditLog(db).page(page)
    return AuditPage(
        events=[AuditEntry.model_validate(e) for e in found.items], next_cursor=found.next_cursor
    )


async def get_user_manager(request: Request) -> AsyncIterator[UserManager]:
    # fastapi-users declares this dependency itself, with request scope.
    auth = get_auth(request)
    async with auth.runtime.database.transaction(RowScope.platform_wide()) as db:
        yield UserManager(FlushingUserDatabase(db, User), auth)


router.include_router(
    get_register_router(get_user_manager, UserRead, UserRegister), tags=["registration"]
)
router.include_router(get_verify_router(get_user_manager, UserRead), tags=["registration"])
router.include_router(get_reset_password_router(get_user_manager), tags=["registration"])
