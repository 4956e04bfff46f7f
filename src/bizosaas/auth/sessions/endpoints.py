"""Routes of signing in and out: login, refresh, logout, the caller, sessions, and the JWKS."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import ValidationError

from bizosaas.auth.context import AuthContext
from bizosaas.auth.dependencies import AuthDep, ClientDep, CurrentPrincipal, ScopedSession
from bizosaas.auth.schemas import (
    AccessToken,
    LoginRequest,
    Me,
    PlatformSwitch,
    RefreshRequest,
    SessionOut,
    TokenPair,
)
from bizosaas.auth.sessions.service import SessionService, me_of
from bizosaas.auth.users.repository import UserRepository
from bizosaas.auth.users.service import ManagementService
from bizosaas.core.errors import BadRequest, Unauthorized
from bizosaas.identity.cookies import (
    clear_session_cookies,
    set_access_cookie,
    set_session_cookies,
)
from bizosaas.identity.verification import jwks_document
from bizosaas.identity.vocabulary import CookieNames

router = APIRouter(prefix="/api/v1/auth")
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


@router.post("/refresh", response_model=TokenPair)
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


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    principal: CurrentPrincipal, db: ScopedSession, auth: AuthDep, client: ClientDep
) -> Response:
    """End this session. Its access token stops working at once."""
    await SessionService(auth).end_sessions(
        db, "logout", actor=principal, session_id=principal.session_id, ip=client.ip
    )
    return _signed_out(auth)


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT)
async def logout_all(
    principal: CurrentPrincipal, db: ScopedSession, auth: AuthDep, client: ClientDep
) -> Response:
    """End every session of the caller, on every device."""
    await SessionService(auth).end_sessions(
        db, "logout_all", actor=principal, user_id=principal.user_id, ip=client.ip
    )
    return _signed_out(auth)


def _signed_out(auth: AuthContext) -> Response:
    """No content, and the browser's session cookies cleared."""
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, auth.runtime.settings)
    return response


@router.post("/platform", responses={403: {"description": "Not one of your platforms"}})
async def switch_platform(
    body: PlatformSwitch,
    response: Response,
    principal: CurrentPrincipal,
    db: ScopedSession,
    auth: AuthDep,
    client: ClientDep,
) -> AccessToken:
    """Move this session to another of your platforms without signing in again (SSO across
    platforms): a new access token, also as the HttpOnly cookie, with the `platform` claim
    set; the refresh token stays valid and keeps the new platform."""
    token = await SessionService(auth).switch_platform(db, principal, body.platform, client)
    set_access_cookie(response, token.access_token, token.expires_in, auth.runtime.settings)
    return token


@router.get("/me", response_model=Me)
async def me(principal: CurrentPrincipal, db: ScopedSession) -> Me:
    """The caller, with tenant, role and (current) permissions."""
    found = await UserRepository(db).with_tenant(user_id=principal.user_id)
    if found is None:
        raise Unauthorized("This account no longer exists.")
    return me_of(found[0], found[1], principal.platform, principal.session_id)


@router.get("/sessions", response_model=list[SessionOut])
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


@router.delete("/sessions/{session_id}", status_code=204)
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


well_known = APIRouter()


@well_known.get("/.well-known/jwks.json", tags=["keys"])
async def jwks(auth: AuthDep) -> dict[str, Any]:
    """Public keys that verify access tokens (EdDSA / Ed25519), by `kid`."""
    return jwks_document(await auth.verifier.keys())
