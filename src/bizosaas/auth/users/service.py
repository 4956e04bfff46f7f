"""Tenant and user management: what super admins and tenant admins may do.

Visibility is decided here once: a super admin sees every tenant; a tenant admin
sees its own tenant only, and another tenant's object answers 404, never 403.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.auth.audit import AuditLog
from bizosaas.auth.context import AuthContext, member_info, tenant_info
from bizosaas.auth.models import Invitation, Tenant, User
from bizosaas.auth.schemas import (
    InvitationAccept,
    TenantCreate,
    TenantProfile,
    TenantUpdate,
    UserCreate,
    UserUpdate,
)
from bizosaas.auth.sessions.service import SessionService, password_helper
from bizosaas.auth.users.passwords import password_problem
from bizosaas.auth.users.repository import InvitationRepository, TenantRecords, UserRepository
from bizosaas.core.database import after_commit, utcnow
from bizosaas.core.errors import BadRequest, Conflict, Forbidden, NotFound
from bizosaas.core.repository import Page, PageRequest
from bizosaas.identity.principal import Principal
from bizosaas.identity.vocabulary import DEFAULT_PERMISSIONS, DEFAULT_PLATFORMS, Role, TenantStatus


def _require_admin(caller: Principal) -> None:
    if caller.role not in (Role.SUPER_ADMIN, Role.TENANT_ADMIN):
        raise Forbidden("Only administrators may manage users.")


def _require_super_admin(caller: Principal) -> None:
    if not caller.is_super_admin:
        raise Forbidden("Only the platform's super admins may manage tenants.")


def _audit_user(
    db: AsyncSession, event: str, caller: Principal, user: User, ip: str | None, **details: Any
) -> None:
    """An administrator's change to a user, in the audit log."""
    AuditLog(db).record(
        event,
        tenant_id=user.tenant_id,
        actor_id=caller.user_id,
        subject_id=user.id,
        ip=ip,
        details=details or None,
    )


class ManagementService:
    def __init__(self, auth: AuthContext) -> None:
        self.auth = auth
        self.sessions = SessionService(auth)
        self.settings = auth.runtime.settings

    # The Redis directories follow PostgreSQL once the change is committed.

    def _publish_tenant(self, db: AsyncSession, tenant: Tenant) -> None:
        info = tenant_info(tenant)
        after_commit(db, lambda: self.auth.tenants.publish(info))

    def _publish_member(self, db: AsyncSession, user: User) -> None:
        info = member_info(user)
        after_commit(db, lambda: self.auth.members.publish(info))

    # Tenants ---------------------------------------------------------------

    async def create_tenant(
        self, db: AsyncSession, caller: Principal, body: TenantCreate
    ) -> Tenant:
        _require_super_admin(caller)
        if await TenantRecords(db).by_slug(body.slug):
            raise Conflict(f"A tenant with slug {body.slug!r} already exists.")
        tenant = Tenant(id=uuid.uuid4(), **body.model_dump())
        db.add(tenant)
        AuditLog(db).record(
            "tenant_created",
            tenant_id=tenant.id,
            actor_id=caller.user_id,
            details={"slug": body.slug},
        )
        await db.flush()
        self._publish_tenant(db, tenant)
        return tenant

    async def list_tenants(self, db: AsyncSession, page: PageRequest) -> Page[Tenant]:
        """Every tenant (super admin), or the caller's own: the unit of work decides."""
        return await TenantRecords(db).page(page)

    async def get_tenant(
        self, db: AsyncSession, caller: Principal, tenant_id: uuid.UUID | None
    ) -> Tenant:
        if tenant_id is None or (not caller.is_super_admin and tenant_id != caller.tenant_id):
            raise NotFound("No such tenant.")
        tenant = await TenantRecords(db).by_id(tenant_id)
        if tenant is None:
            raise NotFound("No such tenant.")
        return tenant

    async def update_tenant(
        self,
        db: AsyncSession,
        caller: Principal,
        tenant_id: uuid.UUID,
        body: TenantUpdate,
        ip: str | None,
    ) -> Tenant:
        tenant = await self.get_tenant(db, caller, tenant_id)
        changes = body.model_dump(exclude_unset=True)
        if any(v is None for k, v in changes.items() if k not in TenantUpdate.clearable):
            raise BadRequest("Fields may be left out, but not set to null.")
        if changes.keys() - TenantProfile.model_fields.keys():
            _require_super_admin(caller)
        else:  # a tenant's own admins keep its profile
            _require_admin(caller)
            AuditLog(db).record(
                "tenant_profile_changed",
                tenant_id=tenant.id,
                actor_id=caller.user_id,
                ip=ip,
                details={"fields": sorted(changes)},
            )
        status = changes.pop("status", None)
        for field, value in changes.items():
            setattr(tenant, field, value)
        if status is not None and status != tenant.status:
            tenant.status = status
            tenant.suspended_at = utcnow() if status == TenantStatus.SUSPENDED else None
            AuditLog(db).record(
                f"tenant_{'suspended' if status == 'suspended' else 'reactivated'}",
                tenant_id=tenant.id,
                actor_id=caller.user_id,
                ip=ip,
            )
            if status == TenantStatus.SUSPENDED:
                await self.sessions.end_sessions(
                    db, "tenant_suspended", actor=caller, tenant_id=tenant.id, ip=ip
                )
        await db.flush()
        self._publish_tenant(db, tenant)
        return tenant

    # Users -----------------------------------------------------------------

    async def get_user(self, db: AsyncSession, caller: Principal, user_id: uuid.UUID) -> User:
        """A user of the caller's tenant (any tenant's, for a super admin); else 404."""
        _require_admin(caller)
        user = await UserRepository(db).by_id(user_id)
        if user is None:
            raise NotFound("No such user.")
        return user

    async def list_users(
        self, db: AsyncSession, caller: Principal, page: PageRequest, search: str | None = None
    ) -> Page[User]:
        _require_admin(caller)
        return await UserRepository(db).page(page, search)

    async def create_user(
        self, db: AsyncSession, caller: Principal, body: UserCreate, ip: str | None
    ) -> tuple[User, str | None]:
        """Create a user; without a password, an invitation link is issued (and mailed)."""
        _require_admin(caller)
        tenant_id = body.tenant_id if caller.is_super_admin else caller.tenant_id
        if body.role is Role.SUPER_ADMIN:
            if not caller.is_super_admin:
                raise Forbidden("Only super admins may create super admins.")
            if body.tenant_id is not None:
                raise BadRequest("A super admin belongs to no tenant; leave tenant_id out.")
            if body.password is None:
                raise BadRequest("A super admin is created with a password, not invited.")
            tenant_id = None
        elif tenant_id is None:
            raise BadRequest("tenant_id is required to create a tenant user.")
        elif not caller.is_super_admin and body.tenant_id not in (None, caller.tenant_id):
            raise NotFound("No such tenant.")
        tenant = await TenantRecords(db).by_id(tenant_id) if tenant_id else None
        if tenant_id is not None and tenant is None:
            raise NotFound("No such tenant.")
        email = str(body.email).lower()
        if body.password is not None:
            problem = password_problem(body.password, [email, body.full_name])
            if problem:
                raise BadRequest(problem)
        if await UserRepository(db).email_taken(email):
            raise Conflict("A user with this email already exists.")
        role = body.role
        user = User(
            id=uuid.uuid4(),
            email=email,
            full_name=body.full_name,
            tenant_id=tenant_id,
            role=role.value,
            permissions=[p.value for p in body.permissions]
            if body.permissions is not None
            else list(DEFAULT_PERMISSIONS[role]),
            allowed_platforms=[p.value for p in body.allowed_platforms]
            if body.allowed_platforms is not None
            else list(DEFAULT_PLATFORMS[role]),
            hashed_password=password_helper.hash(body.password or secrets.token_urlsafe(32)),
            is_active=body.password is not None,
            is_verified=body.password is not None,
            is_superuser=role is Role.SUPER_ADMIN,
        )
        db.add(user)
        try:
            await db.flush()
        except IntegrityError as exc:
            raise Conflict("A user with this email already exists.") from exc
        AuditLog(db).record(
            "user_created",
            tenant_id=tenant_id,
            actor_id=caller.user_id,
            subject_id=user.id,
            ip=ip,
            email=email,
            details={"role": role.value, "invited": body.password is None},
        )
        link = None
        if body.password is None:
            link = await self._invite(db, user, caller)
        self._publish_member(db, user)
        return user, link

    async def _invite(self, db: AsyncSession, user: User, caller: Principal) -> str:
        assert user.tenant_id is not None  # super admins are never invited
        token = secrets.token_urlsafe(32)
        db.add(
            Invitation(
                tenant_id=user.tenant_id,
                user_id=user.id,
                invited_by=caller.user_id,
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                expires_at=utcnow() + timedelta(seconds=self.settings.invitation_ttl_seconds),
            )
        )
        link = f"{self.settings.public_url}/login/invitation?token={token}"
        await self.auth.mailer.send(
            user.email, "You have been invited to BizOSaaS", f"Set your password here: {link}"
        )
        return link

    async def accept_invitation(
        self, db: AsyncSession, body: InvitationAccept, ip: str | None
    ) -> User:
        invitation = await InvitationRepository(db).by_token_hash(
            hashlib.sha256(body.token.encode()).hexdigest()
        )
        if invitation is None or invitation.accepted_at is not None:
            raise NotFound("This invitation is unknown or was already used.")
        if invitation.expires_at <= utcnow():
            raise BadRequest("This invitation has expired. Ask your administrator for a new one.")
        user = await UserRepository(db).by_id(invitation.user_id)
        if user is None or user.tenant_id != invitation.tenant_id:
            raise NotFound("This invitation is unknown or was already used.")
        name = body.full_name if body.full_name is not None else user.full_name
        problem = password_problem(body.password, [user.email, name])
        if problem:
            raise BadRequest(problem)
        user.hashed_password = password_helper.hash(body.password)
        user.full_name = name
        user.is_active = True
        user.is_verified = True  # they proved the address by opening the link
        invitation.accepted_at = utcnow()
        AuditLog(db).record(
            "invitation_accepted",
            tenant_id=user.tenant_id,
            subject_id=user.id,
            actor_id=user.id,
            ip=ip,
            email=user.email,
        )
        await db.flush()
        self._publish_member(db, user)
        return user

    async def update_user(
        self,
        db: AsyncSession,
        caller: Principal,
        user_id: uuid.UUID,
        body: UserUpdate,
        ip: str | None,
    ) -> User:
        user = await self.get_user(db, caller, user_id)
        changes = body.model_dump(exclude_unset=True)
        if any(value is None for value in changes.values()):
            raise BadRequest("Fields may be left out, but not set to null.")
        if user.id == caller.user_id and ("role" in changes or changes.get("is_active") is False):
            raise BadRequest("You cannot change your own role or disable yourself.")
        new_role = changes.get("role", Role(user.role))
        if (new_role is Role.SUPER_ADMIN) != (user.role == Role.SUPER_ADMIN):
            raise BadRequest("A tenant user cannot become a super admin, nor the reverse.")
        if "full_name" in changes:
            user.full_name = changes["full_name"]
        authz_before = (user.role, list(user.permissions), list(user.allowed_platforms))
        if "role" in changes:
            user.role = new_role.value
            if "permissions" not in changes:
                user.permissions = list(DEFAULT_PERMISSIONS[new_role])
        if "permissions" in changes:
            user.permissions = sorted({str(p) for p in changes["permissions"]})
        if "allowed_platforms" in changes:
            user.allowed_platforms = [str(p) for p in dict.fromkeys(changes["allowed_platforms"])]
        authz_after = (user.role, list(user.permissions), list(user.allowed_platforms))
        if authz_after != authz_before:
            _audit_user(
                db,
                "authorization_changed",
                caller,
                user,
                ip,
                before=list(authz_before),
                after=list(authz_after),
            )
            await self.auth.live_sessions.update_authorization(
                user.id, user.role, tuple(user.permissions), tuple(user.allowed_platforms)
            )
        if changes.get("is_active") is False and user.is_active:
            await self.disable_user(db, caller, user, ip)
        elif changes.get("is_active") is True and not user.is_active:
            user.is_active = True
            _audit_user(db, "user_enabled", caller, user, ip)
        await db.flush()
        self._publish_member(db, user)
        return user

    async def end_user_sessions(
        self, db: AsyncSession, caller: Principal, user: User, ip: str | None
    ) -> None:
        """Sign the user out on every device; they may sign in again."""
        await self.sessions.end_sessions(
            db, "sessions_ended", actor=caller, user_id=user.id, tenant_id=user.tenant_id, ip=ip
        )

    async def disable_user(
        self, db: AsyncSession, caller: Principal, user: User, ip: str | None
    ) -> None:
        if user.id == caller.user_id:
            raise BadRequest("You cannot disable yourself.")
        if not user.is_active and not user.is_verified:
            # Invited and never joined: the invitation is withdrawn and the email freed for
            # another; the audit log keeps who was invited and who withdrew it.
            _audit_user(db, "invitation_withdrawn", caller, user, ip, email=user.email)
            await db.delete(user)
            await db.flush()
            return
        user.is_active = False
        _audit_user(db, "user_disabled", caller, user, ip)
        await self.sessions.end_sessions(
            db, "user_disabled", actor=caller, user_id=user.id, tenant_id=user.tenant_id, ip=ip
        )
