"""Sign-in, refresh, sign-out and session management.

Services take the scoped database session as an argument and only flush; the
request's unit of work commits. Redis is updated after the durable change is
made, and an ended session is removed from Redis before the response is sent.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import uuid
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from fastapi_users.password import PasswordHelper
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.auth.audit import AuditLog
from bizosaas.auth.context import AuthContext
from bizosaas.auth.models import Tenant, User, UserSession
from bizosaas.auth.schemas import AccessToken, Me, SessionOut, TenantSummary, TokenPair
from bizosaas.auth.sessions.clients import ClientInfo
from bizosaas.auth.sessions.repository import SessionRepository
from bizosaas.auth.sessions.tokens import issue_access_token
from bizosaas.auth.users.repository import UserRepository
from bizosaas.core.database import RowScope, utcnow
from bizosaas.core.errors import AppError, Forbidden, InvalidCredentials, NotFound, Unauthorized
from bizosaas.core.logging import get_logger
from bizosaas.core.metrics import AUTH_EVENTS
from bizosaas.identity.csrf import csrf_token_for
from bizosaas.identity.principal import Principal
from bizosaas.identity.sessions import LiveSession
from bizosaas.identity.vocabulary import LANDING_PAGE, Platform, Role, TenantStatus

password_helper = PasswordHelper()
# Verified against when the email is unknown, so both failures cost the same time.
_DUMMY_HASH = password_helper.hash(secrets.token_urlsafe(24))
INVALID_CREDENTIALS = "Incorrect email or password."

log = get_logger("bizosaas.auth")


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split_refresh(token: str) -> tuple[uuid.UUID, str]:
    try:
        session_part, secret = token.split(".", 1)
        session_id = uuid.UUID(bytes=base64.urlsafe_b64decode(session_part + "=="))
    except (ValueError, TypeError) as exc:
        raise Unauthorized("The refresh token is invalid.") from exc
    return session_id, secret


def _refresh_token(session_id: uuid.UUID, secret: str) -> str:
    return base64.urlsafe_b64encode(session_id.bytes).rstrip(b"=").decode() + "." + secret


def live_session_of(row: UserSession, user: User, tenant: Tenant | None) -> LiveSession:
    return LiveSession(
        session_id=row.id,
        user_id=user.id,
        tenant_id=tenant.id if tenant else None,
        tenant_slug=tenant.slug if tenant else None,
        email=user.email,
        role=user.role,
        permissions=tuple(user.permissions),
        allowed_platforms=tuple(user.allowed_platforms),
        platform=row.platform,
        expires_at=row.expires_at.timestamp(),
        last_seen=row.last_seen_at.timestamp(),
    )


def me_of(user: User, tenant: Tenant | None, platform: str, session_id: uuid.UUID) -> Me:
    return Me(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=Role(user.role),
        tenant=TenantSummary(id=tenant.id, slug=tenant.slug, name=tenant.name) if tenant else None,
        permissions=list(user.permissions),
        allowed_platforms=list(user.allowed_platforms),
        platform=platform,
        session_id=session_id,
        is_verified=user.is_verified,
    )


class SessionService:
    def __init__(self, auth: AuthContext) -> None:
        self.auth = auth
        self.settings = auth.runtime.settings

    def _separate_transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        return self.auth.runtime.database.transaction(RowScope.platform_wide())

    async def login(
        self, email: str, password: str, platform: Platform | None, client: ClientInfo
    ) -> TokenPair:
        """Check the credentials and open a session.

        Runs its own short transactions: no database connection is held while the
        password hash is computed (the slow part), and the audit trail of a failed
        attempt persists although the request is answered with an error.
        """
        ip = client.ip or "unknown"
        normalized = email.strip().lower()[:320]
        await self.auth.throttle.check(normalized, ip)
        async with self._separate_transaction() as db:
            found = await UserRepository(db).with_tenant(email=normalized)
        stored_hash = found[0].hashed_password if found else _DUMMY_HASH
        valid, new_hash = await asyncio.to_thread(
            password_helper.verify_and_update, password, stored_hash
        )
        if found is None or not valid:
            await self._record_failure(normalized, client, found[0] if found else None)
            raise InvalidCredentials(INVALID_CREDENTIALS)

        user, tenant = found
        refusal: AppError | None = None
        if not user.is_active:
            refusal = Forbidden("This account is disabled. Contact your administrator.")
        elif tenant is not None and tenant.status != TenantStatus.ACTIVE:
            refusal = TenantSuspended("Your organisation's account is suspended.")
        chosen = (platform.value if platform else None) or (user.allowed_platforms or [""])[0]
        if refusal is None and chosen not in user.allowed_platforms:
            refusal = Forbidden(f"Your account may not sign in to {chosen or 'any platform'}.")
        if refusal is not None:
            async with self._separate_transaction() as db:
                _audit_sign_in(db, "login_refused", user, client, reason=refusal.name)
            raise refusal

        await self.auth.throttle.record_success(normalized, ip)
        refresh_secret = secrets.token_urlsafe(32)
        row = UserSession(
            id=uuid.uuid4(),  # a new session id at every login
            tenant_id=user.tenant_id,
            user_id=user.id,
            platform=chosen,
            ip=client.ip,
            user_agent=client.user_agent[:512],
            device=client.device,
            refresh_hash=_hash_secret(refresh_secret),
            expires_at=utcnow() + timedelta(seconds=self.settings.refresh_token_ttl_seconds),
            last_seen_at=utcnow(),
        )
        async with self._separate_transaction() as db:
            await UserRepository(db).mark_signed_in(user.id, new_hash)
            db.add(row)
            _audit_sign_in(
                db, "login_success", user, client, platform=chosen, session_id=str(row.id)
            )
        live = live_session_of(row, user, tenant)
        await self.auth.live_sessions.put(live)
        AUTH_EVENTS.labels("login_success").inc()
        if user.tenant_id is not None:
            await self._tell_gamification(user.tenant_id, user.id, row)
        return await self._token_pair(live, user, tenant, _refresh_token(row.id, refresh_secret))

    async def _tell_gamification(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, row: UserSession
    ) -> None:
        """A `member.login` event (login streaks); a login never fails because of it."""
        try:
            await self.auth.platform_events.send(
                tenant_id,
                user_id,
                f"login:{row.id}",
                "member.login",
                {"platform": row.platform, "device": row.device},
            )
        except Exception:
            log.warning("could not send the login event to gamification", exc_info=True)

    async def _record_failure(self, email: str, client: ClientInfo, user: User | None) -> None:
        lockout = await self.auth.throttle.record_failure(email, client.ip or "unknown")
        tenant_id = user.tenant_id if user else None
        async with self._separate_transaction() as db:
            record = partial(
                AuditLog(db).record,
                tenant_id=tenant_id,
                subject_id=user.id if user else None,
                ip=client.ip,
                email=email,
            )
            record("login_failure")
            if lockout:
                record("lockout", details={"seconds": lockout})
        if lockout:
            AUTH_EVENTS.labels("lockout").inc()
        AUTH_EVENTS.labels("login_failure").inc()

    async def _token_pair(
        self, live: LiveSession, user: User, tenant: Tenant | None, refresh_token: str
    ) -> TokenPair:
        ring = await self.auth.signer.ring()
        access, _ = issue_access_token(
            ring,
            live,
            issuer=self.settings.jwt_issuer,
            audience=self.settings.jwt_audience,
            lifetime_seconds=self.settings.access_token_ttl_seconds,
            gamification=await self.auth.claims.read(user.id) if user.tenant_id else None,
        )
        return TokenPair(
            access_token=access,
            refresh_token=refresh_token,
            expires_in=self.settings.access_token_ttl_seconds,
            refresh_expires_in=self.settings.refresh_token_ttl_seconds,
            session_id=live.session_id,
            csrf_token=csrf_token_for(self.auth.csrf_secret, live.session_id),
            redirect_to=LANDING_PAGE[Role(user.role)],
            user=me_of(user, tenant, live.platform, live.session_id),
        )

    async def refresh(self, refresh_token: str, client: ClientInfo) -> TokenPair:
        """Single use and rotated; a token presented twice ends its whole family (the session).

        Runs its own transactions: the rotation must commit (releasing the row lock)
        before a failed attempt revokes the family, and a revocation must persist
        even though the request is answered 401.
        """
        session_id, secret = _split_refresh(refresh_token)
        new_secret = secrets.token_urlsafe(32)
        expires = utcnow() + timedelta(seconds=self.settings.refresh_token_ttl_seconds)
        async with self._separate_transaction() as db:
            row = await SessionRepository(db).rotate_refresh(
                session_id, _hash_secret(secret), _hash_secret(new_secret), expires
            )
            found = await UserRepository(db).with_tenant(user_id=row.user_id) if row else None
            inactive = found is not None and (
                not found[0].is_active
                or (found[1] is not None and found[1].status != TenantStatus.ACTIVE)
            )
            if inactive:
                await SessionRepository(db).revoke("account_inactive", session_id=session_id)
        if row is None or found is None:
            await self._end_family(session_id, client)
            raise Unauthorized("The refresh token is invalid or has already been used.")
        user, tenant = found
        if inactive:
            await self.auth.live_sessions.delete([session_id], user.id)
            raise Unauthorized("This account can no longer sign in.")
        live = live_session_of(row, user, tenant)
        await self.auth.live_sessions.put(live)
        AUTH_EVENTS.labels("refresh").inc()
        return await self._token_pair(live, user, tenant, _refresh_token(row.id, new_secret))

    async def switch_platform(
        self, db: AsyncSession, principal: Principal, platform: str, client: ClientInfo
    ) -> AccessToken:
        """The same session on another of the user's platforms (SSO across platforms): a new
        access token whose ``platform`` claim follows; later refreshes keep it."""
        if platform not in principal.allowed_platforms:
            raise Forbidden(f"Your account may not use {platform}.")
        row = await SessionRepository(db).set_platform(principal.session_id, platform)
        found = await UserRepository(db).with_tenant(user_id=principal.user_id)
        if row is None or found is None:
            raise Unauthorized("This session has ended; sign in again.")
        user, tenant = found
        AuditLog(db).record(
            "platform_switched",
            tenant_id=user.tenant_id,
            actor_id=user.id,
            subject_id=user.id,
            ip=client.ip,
            details={"from": principal.platform, "to": platform, "session_id": str(row.id)},
        )
        live = live_session_of(row, user, tenant)
        await self.auth.live_sessions.put(live)
        pair = await self._token_pair(live, user, tenant, refresh_token="")
        return AccessToken(
            access_token=pair.access_token, expires_in=pair.expires_in, platform=platform
        )

    async def _end_family(self, session_id: uuid.UUID, client: ClientInfo) -> None:
        """A used (or forged) refresh token: end the session it belongs to, if still open."""
        async with self._separate_transaction() as db:
            ended = await SessionRepository(db).revoke("refresh_reuse", session_id=session_id)
            if ended:
                AuditLog(db).record(
                    "refresh_reuse",
                    subject_id=ended[0][1],
                    ip=client.ip,
                    details={"session_id": str(session_id)},
                )
        if ended:
            await self.auth.live_sessions.delete([session_id], ended[0][1])
            AUTH_EVENTS.labels("refresh_reuse").inc()

    async def end_sessions(
        self,
        db: AsyncSession,
        reason: str,
        *,
        actor: Principal | None,
        session_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
        tenant_id: uuid.UUID | None = None,
        ip: str | None = None,
    ) -> int:
        ended = await SessionRepository(db).revoke(
            reason, session_id=session_id, user_id=user_id, of_tenant=tenant_id
        )
        by_user: dict[uuid.UUID, list[uuid.UUID]] = {}
        for ended_session, owner in ended:
            by_user.setdefault(owner, []).append(ended_session)
        for owner, sessions in by_user.items():
            await self.auth.live_sessions.delete(sessions, owner)
        if ended:
            AuditLog(db).record(
                reason,
                tenant_id=actor.tenant_id if actor else tenant_id,
                actor_id=actor.user_id if actor else None,
                subject_id=user_id,
                ip=ip,
                details={"sessions": len(ended)},
            )
            AUTH_EVENTS.labels("logout").inc(len(ended))
        return len(ended)

    async def list_sessions(
        self, db: AsyncSession, user_id: uuid.UUID, current: uuid.UUID | None
    ) -> list[SessionOut]:
        rows = await SessionRepository(db).open_sessions(user_id)
        seen = await self.auth.live_sessions.user_last_seen([r.id for r in rows])
        result = []
        for row in rows:
            last_seen = row.last_seen_at
            if row.id in seen:
                last_seen = max(last_seen, _from_timestamp(seen[row.id]))
            result.append(
                SessionOut(
                    id=row.id,
                    platform=row.platform,
                    ip=str(row.ip) if row.ip else None,
                    device=row.device,
                    user_agent=row.user_agent,
                    created_at=row.created_at,
                    last_seen_at=last_seen,
                    expires_at=row.expires_at,
                    current=row.id == current,
                )
            )
        return result

    async def session_owner(
        self, db: AsyncSession, session_id: uuid.UUID, caller: Principal
    ) -> uuid.UUID:
        """Whose session this is, if the caller may end it; otherwise 404."""
        row = await SessionRepository(db).by_id(session_id)
        if row is None or row.revoked_at is not None:
            raise NotFound("No such session.")
        if row.user_id == caller.user_id or caller.is_super_admin:
            return row.user_id
        if caller.role is Role.TENANT_ADMIN and row.tenant_id == caller.tenant_id:
            return row.user_id
        raise NotFound("No such session.")


def _audit_sign_in(
    db: AsyncSession, event: str, user: User, client: ClientInfo, **details: Any
) -> None:
    """A sign-in (refused or not) of a known account, in the audit log."""
    AuditLog(db).record(
        event,
        tenant_id=user.tenant_id,
        actor_id=user.id if event == "login_success" else None,
        subject_id=user.id,
        ip=client.ip,
        email=user.email,
        details=details,
    )


class TenantSuspended(Forbidden):
    pass


def _from_timestamp(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)
