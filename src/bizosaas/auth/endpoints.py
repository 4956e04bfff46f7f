"""HTTP routes of the auth service. Thin: parse, call one service function, return a schema."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi_users.router import get_register_router, get_reset_password_router, get_verify_router
from pydantic import ValidationError

from bizosaas.auth import repository
from bizosaas.auth.cookies import clear_session_cookies, set_session_cookies
from bizosaas.auth.dependencies import (
    AuthDep,
    ClientDep,
    CurrentPrincipal,
    PlatformSession,
    ScopedSession,
    get_auth,
)
from bizosaas.auth.management import ManagementService
from bizosaas.auth.models import User
from bizosaas.auth.schemas import (
    AuditEntry,
    InvitationAccept,
    LoginRequest,
    Me,
    RefreshRequest,
    SessionOut,
    TenantCreate,
    TenantOut,
    TenantUpdate,
    TokenPair,
    UserCreate,
    UserCreated,
    UserOut,
    UserRead,
    UserRegister,
    UserUpdate,
)
from bizosaas.auth.service import SessionService, me_of
from bizosaas.auth.users import FlushingUserDatabase, UserManager
from bizosaas.core.database import RowScope
from bizosaas.core.errors import BadRequest, Forbidden, Unauthorized
from bizosaas.identity.verification import jwks_document
from bizosaas.identity.vocabulary import CookieNames, Role

router = APIRouter(prefix="/api/v1/auth")
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip")]

_LOGIN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LoginRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": LoginRequest.model_json_schema()},
        },
    }
}


async def _login_body(request: Request) -> LoginRequest:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            data: Any = {k: v for k, v in form.items() if isinstance(v, str)}
        elif content_type == "application/json":
            data = await request.json()
        else:
            raise BadRequest("Send the credentials as JSON or as a form.")
        return LoginRequest.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())
        raise BadRequest(f"Invalid sign-in request ({fields}).") from exc
    except ValueError as exc:  # malformed JSON
        raise BadRequest("The request body is not valid JSON.") from exc


@router.post(
    "/login",
    response_model=TokenPair,
    tags=["sessions"],
    openapi_extra=_LOGIN_BODY,
    responses={
        401: {"description": "Wrong email or password"},
        403: {"description": "Disabled account, suspended tenant or platform not allowed"},
        429: {"description": "Throttled or temporarily locked"},
    },
)
async def login(
    request: Request, response: Response, auth: AuthDep, client: ClientDep
) -> TokenPair:
    """Sign in with email and password, optionally to one platform.

    Returns the tokens in the body (API clients) and as HttpOnly cookies
    (browsers), with `redirect_to` chosen by role: super_admin → `/sqladmin`,
    tenant_admin → `/admin`, user → `/portal`.
    """
    body = await _login_body(request)
    tokens = await SessionService(auth).login(body.email, body.password, body.platform, client)
    set_session_cookies(response, tokens, auth.runtime.settings)
    return tokens


@router.post("/refresh", response_model=TokenPair, tags=["sessions"])
async def refresh(
    request: Request,
    response: Response,
    auth: AuthDep,
    client: ClientDep,
    body: RefreshRequest | None = None,
) -> TokenPair:
    """Trade a refresh token (body or cookie) for a new pair. Each refresh token works once;
    presenting a used one ends the whole session."""
    token = (body.refresh_token if body else None) or request.cookies.get(
        CookieNames(auth.runtime.settings.secure_cookies).refresh
    )
    if not token:
        raise Unauthorized("No refresh token was sent.")
    tokens = await SessionService(auth).refresh(token, client)
    set_session_cookies(response, tokens, auth.runtime.settings)
    return tokens


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["sessions"])
async def logout(
    principal: CurrentPrincipal, db: ScopedSession, auth: AuthDep, client: ClientDep
) -> Response:
    """End this session. Its access token stops working at once."""
    await SessionService(auth).end_sessions(
        db, "logout", actor=principal, session_id=principal.session_id, ip=client.ip
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, auth.runtime.settings)
    return response


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT, tags=["sessions"])
async def logout_all(
    principal: CurrentPrincipal, db: ScopedSession, auth: AuthDep, client: ClientDep
) -> Response:
    """End every session of the caller, on every device."""
    await SessionService(auth).end_sessions(
        db, "logout_all", actor=principal, user_id=principal.user_id, ip=client.ip
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, auth.runtime.settings)
    return response


@router.get("/me", response_model=Me, tags=["sessions"])
async def me(principal: CurrentPrincipal, db: ScopedSession) -> Me:
    """The caller, with tenant, role and (current) permissions."""
    found = await repository.user_with_tenant(db, user_id=principal.user_id)
    if found is None:
        raise Unauthorized("This account no longer exists.")
    return me_of(found[0], found[1], principal.platform, principal.session_id)


@router.get("/sessions", response_model=list[SessionOut], tags=["sessions"])
async def list_sessions(
    principal: CurrentPrincipal,
    db: ScopedSession,
    auth: AuthDep,
    user_id: Annotated[uuid.UUID | None, Query(description="Admins: another user's")] = None,
) -> list[SessionOut]:
    """Open sessions (device, IP, last seen) of the caller, or of a user an admin manages."""
    target = principal.user_id
    if user_id is not None and user_id != principal.user_id:
        target = (await ManagementService(auth).get_user(db, principal, user_id)).id
    return await SessionService(auth).list_sessions(db, target, principal.session_id)


@router.delete("/sessions/{session_id}", status_code=204, tags=["sessions"])
async def end_session(
    session_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: ScopedSession,
    auth: AuthDep,
    client: ClientDep,
) -> Response:
    """End one session: the caller's own, a tenant user's (tenant admin), anyone's (super admin)."""
    service = SessionService(auth)
    owner = await service.session_owner(db, session_id, principal)
    await service.end_sessions(
        db, "session_revoked", actor=principal, session_id=session_id, user_id=owner, ip=client.ip
    )
    return Response(status_code=204)


@router.get("/tenants", response_model=list[TenantOut], tags=["tenants"])
async def list_tenants(
    principal: CurrentPrincipal,
    db: ScopedSession,
    auth: AuthDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[Any]:
    """Every tenant (super admin), or the caller's own."""
    return list(await ManagementService(auth).list_tenants(db, principal, limit, offset))


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
    """Rename, re-plan, change the rate limit, or suspend/reactivate a tenant (super admin).
    Suspension ends the sessions of all its users at once."""
    return await ManagementService(auth).update_tenant(db, principal, tenant_id, body, client.ip)


@router.get("/users", response_model=list[UserOut], tags=["users"])
async def list_users(
    principal: CurrentPrincipal,
    db: ScopedSession,
    auth: AuthDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[Any]:
    """Users of the caller's tenant (tenant admin) or of every tenant (super admin)."""
    return list(await ManagementService(auth).list_users(db, principal, limit, offset))


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


@router.delete("/users/{user_id}", status_code=204, tags=["users"])
async def disable_user(
    user_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: ScopedSession,
    auth: AuthDep,
    client: ClientDep,
) -> Response:
    """Disable a user and end all their sessions (the account and its audit trail are kept)."""
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


@router.get("/audit", response_model=list[AuditEntry], tags=["users"])
async def audit_log(
    principal: CurrentPrincipal,
    db: ScopedSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Any]:
    """Recent security events: the tenant's own (tenant admin) or all (super admin)."""
    if principal.role not in (Role.SUPER_ADMIN, Role.TENANT_ADMIN):
        raise Forbidden("Only administrators may read the audit log.")
    tenant = None if principal.is_super_admin else principal.tenant_id
    return list(await repository.audit_events(db, tenant, limit))


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

well_known = APIRouter()


@well_known.get("/.well-known/jwks.json", tags=["keys"])
async def jwks(auth: AuthDep) -> dict[str, Any]:
    """Public keys that verify access tokens (EdDSA / Ed25519), by `kid`."""
    return jwks_document(await auth.verifier.keys())
