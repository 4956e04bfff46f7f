"""fastapi-users wiring: the user manager behind registration, verification and reset.

The stock SQLAlchemy adapter commits on every write; ours only flushes, so the
request's one unit of work (and its RLS scope) stays intact.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi_users import BaseUserManager, UUIDIDMixin, exceptions
from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase

from bizosaas.auth.audit import AuditLog
from bizosaas.auth.context import AuthContext, member_info
from bizosaas.auth.dependencies import get_auth
from bizosaas.auth.models import User
from bizosaas.auth.schemas import UserRegister
from bizosaas.auth.sessions.service import SessionService
from bizosaas.auth.users.passwords import password_problem
from bizosaas.auth.users.repository import TenantRecords, UserRepository
from bizosaas.core.database import after_commit
from bizosaas.core.errors import NotFound
from bizosaas.core.net import request_ip
from bizosaas.identity.vocabulary import DEFAULT_PERMISSIONS, DEFAULT_PLATFORMS, Role, TenantStatus


class FlushingUserDatabase(SQLAlchemyUserDatabase[User, uuid.UUID]):
    async def get_by_email(self, email: str) -> User | None:
        found = await UserRepository(self.session).with_tenant(email=email)
        return None if found is None else found[0]

    async def create(self, create_dict: dict[str, Any]) -> User:
        user = User(**create_dict)
        self.session.add(user)
        await self.session.flush()
        return user

    async def update(self, user: User, update_dict: dict[str, Any]) -> User:
        for key, value in update_dict.items():
            setattr(user, key, value)
        await self.session.flush()
        return user

    async def delete(self, user: User) -> None:
        await self.session.delete(user)
        await self.session.flush()


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    reset_password_token_lifetime_seconds = 3600
    verification_token_lifetime_seconds = 24 * 3600

    def __init__(self, user_db: FlushingUserDatabase, auth: AuthContext) -> None:
        super().__init__(user_db)
        self.auth = auth
        self.reset_password_token_secret = auth.user_token_secret
        self.verification_token_secret = auth.user_token_secret

    @property
    def session(self) -> Any:
        return self.user_db.session  # type: ignore[attr-defined]

    async def validate_password(self, password: str, user: Any) -> None:
        inputs = [getattr(user, "email", ""), getattr(user, "full_name", "")]
        problem = password_problem(password, inputs)
        if problem:
            raise exceptions.InvalidPasswordException(reason=problem)

    async def create(
        self, user_create: Any, safe: bool = False, request: Request | None = None
    ) -> User:
        """Self-service sign-up joins a tenant that accepts it, as a plain user."""
        assert isinstance(user_create, UserRegister)
        await self.validate_password(user_create.password, user_create)
        tenant = await TenantRecords(self.session).by_slug(user_create.tenant_slug)
        if tenant is None or not tenant.self_signup or tenant.status != TenantStatus.ACTIVE:
            raise NotFound("No organisation accepts sign-ups under that name.")
        email = user_create.email.lower()
        if await UserRepository(self.session).email_taken(email):
            raise exceptions.UserAlreadyExists()
        user = await self.user_db.create(
            {
                "email": email,
                "hashed_password": self.password_helper.hash(user_create.password),
                "full_name": user_create.full_name,
                "tenant_id": tenant.id,
                "role": Role.USER.value,
                "permissions": list(DEFAULT_PERMISSIONS[Role.USER]),
                "allowed_platforms": list(DEFAULT_PLATFORMS[Role.USER]),
                "is_active": True,
                "is_verified": False,
                "is_superuser": False,
            }
        )
        AuditLog(self.session).record(
            "user_registered",
            tenant_id=tenant.id,
            subject_id=user.id,
            email=email,
            ip=_ip(request),
        )
        await self.on_after_register(user, request)
        self._announce_signup(user, user_create, request)
        return user

    async def on_after_register(self, user: User, request: Request | None = None) -> None:
        info = member_info(user)
        after_commit(self.session, lambda: self.auth.members.publish(info))
        await self.request_verify(user, request)

    def _announce_signup(
        self, user: User, registered: UserRegister, request: Request | None
    ) -> None:
        """Once committed, a `member.signup` event for gamification: with the share link's
        code, the new member's sign-up is attributed to the referrer (and fraud-checked)."""
        properties = {
            "referral_code": registered.referral_code,
            "ip": _ip(request),
            "device_fingerprint": registered.device_id,
        }
        tenant_id = user.tenant_id
        assert tenant_id is not None

        async def announce() -> None:
            await self.auth.platform_events.send(
                tenant_id,
                user.id,
                f"signup:{user.id}",
                "member.signup",
                {k: v for k, v in properties.items() if v},
            )

        after_commit(self.session, announce)

    async def on_after_request_verify(
        self, user: User, token: str, request: Request | None = None
    ) -> None:
        await self._mail_link(user, "verify", token, "Confirm your email address")

    async def on_after_forgot_password(
        self, user: User, token: str, request: Request | None = None
    ) -> None:
        await self._mail_link(user, "reset", token, "Reset your password")

    async def _mail_link(self, user: User, page: str, token: str, subject: str) -> None:
        link = f"{self.auth.runtime.settings.public_url}/login/{page}?token={token}"
        await self.auth.mailer.send(user.email, subject, f"{subject}: {link}")

    async def on_after_reset_password(self, user: User, request: Request | None = None) -> None:
        # A new password ends every session: whoever knew the old one is out.
        await SessionService(self.auth).end_sessions(
            self.session,
            "password_reset",
            actor=None,
            user_id=user.id,
            tenant_id=user.tenant_id,
            ip=_ip(request),
        )


def _ip(request: Request | None) -> str | None:
    """The visitor's address (behind the gateway, from its X-Forwarded-For)."""
    if request is None:
        return None
    return request_ip(request, get_auth(request).runtime.settings.trusted_proxies)
