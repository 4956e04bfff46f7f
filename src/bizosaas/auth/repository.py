"""All SQL of the auth domain. Callers pass a session already scoped for RLS;
queries are narrowed by tenant here too (RLS is the second wall, not the only one)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.auth.models import AuditEvent, Invitation, Tenant, User, UserSession
from bizosaas.core.database import utcnow

# fastapi-users types User.id and User.email as plain values; query through the columns.
_user = User.__table__.c


async def tenant_by_id(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    result = await session.execute(select(Tenant).where(Tenant.slug == slug.lower()))
    return result.scalar_one_or_none()


async def list_tenants(session: AsyncSession, limit: int, offset: int) -> Sequence[Tenant]:
    result = await session.execute(
        select(Tenant).order_by(Tenant.created_at, Tenant.id).limit(limit).offset(offset)
    )
    return result.scalars().all()


async def user_with_tenant(
    session: AsyncSession, *, email: str | None = None, user_id: uuid.UUID | None = None
) -> tuple[User, Tenant | None] | None:
    query = select(User, Tenant).outerjoin(Tenant, Tenant.id == User.tenant_id)
    if email is not None:
        query = query.where(_user.email == email.strip().lower())
    if user_id is not None:
        query = query.where(_user.id == user_id)
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


async def user_in_tenant(
    session: AsyncSession, user_id: uuid.UUID, tenant_id: uuid.UUID | None
) -> User | None:
    """A user, only if it belongs to the given tenant (None: any tenant, super admin only)."""
    query = select(User).where(_user.id == user_id)
    if tenant_id is not None:
        query = query.where(User.tenant_id == tenant_id)
    return (await session.execute(query)).scalar_one_or_none()


async def mark_signed_in(
    session: AsyncSession, user_id: uuid.UUID, new_password_hash: str | None
) -> None:
    """Stamp the login; store the rehashed password when the hashing parameters moved on."""
    values: dict[str, Any] = {"last_login_at": utcnow()}
    if new_password_hash:
        values["hashed_password"] = new_password_hash
    await session.execute(update(User).where(_user.id == user_id).values(**values))


async def list_users(
    session: AsyncSession, tenant_id: uuid.UUID | None, limit: int, offset: int
) -> Sequence[User]:
    query = select(User).order_by(_user.created_at, _user.id).limit(limit).offset(offset)
    if tenant_id is not None:
        query = query.where(User.tenant_id == tenant_id)
    return (await session.execute(query)).scalars().all()


async def email_taken(session: AsyncSession, email: str) -> bool:
    query = select(func.count()).select_from(User).where(_user.email == email.strip().lower())
    return bool((await session.execute(query)).scalar_one())


async def active_sessions(
    session: AsyncSession,
    *,
    user_id: uuid.UUID | None = None,
    tenant_id: uuid.UUID | None = None,
) -> Sequence[UserSession]:
    query = select(UserSession).where(
        UserSession.revoked_at.is_(None), UserSession.expires_at > utcnow()
    )
    if user_id is not None:
        query = query.where(UserSession.user_id == user_id)
    if tenant_id is not None:
        query = query.where(UserSession.tenant_id == tenant_id)
    return (await session.execute(query.order_by(UserSession.created_at.desc()))).scalars().all()


async def revoke_sessions(
    session: AsyncSession,
    reason: str,
    *,
    session_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    tenant_id: uuid.UUID | None = None,
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Revoke matching open sessions; returns (session_id, user_id) of each one ended."""
    statement = (
        update(UserSession)
        .where(UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .returning(UserSession.id, UserSession.user_id)
    )
    if session_id is not None:
        statement = statement.where(UserSession.id == session_id)
    if user_id is not None:
        statement = statement.where(UserSession.user_id == user_id)
    if tenant_id is not None:
        statement = statement.where(UserSession.tenant_id == tenant_id)
    rows = (await session.execute(statement)).all()
    return [(row[0], row[1]) for row in rows]


async def rotate_refresh(
    session: AsyncSession,
    session_id: uuid.UUID,
    presented_hash: str,
    new_hash: str,
    expires_at: datetime,
) -> UserSession | None:
    """Swap the refresh secret only if the presented one is the current one (single use)."""
    statement = (
        update(UserSession)
        .where(
            UserSession.id == session_id,
            UserSession.refresh_hash == presented_hash,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
        )
        .values(
            refresh_hash=new_hash,
            refresh_generation=UserSession.refresh_generation + 1,
            last_seen_at=utcnow(),
            expires_at=expires_at,
        )
        .returning(UserSession)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def invitation_by_hash(session: AsyncSession, token_hash: str) -> Invitation | None:
    query = select(Invitation).where(Invitation.token_hash == token_hash).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def record_audit(
    session: AsyncSession,
    event: str,
    *,
    tenant_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    ip: str | None = None,
    email: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            event=event,
            tenant_id=tenant_id,
            actor_id=actor_id,
            subject_id=subject_id,
            ip=ip,
            email=email,
            details=details or {},
        )
    )


async def audit_events(
    session: AsyncSession, tenant_id: uuid.UUID | None, limit: int
) -> Sequence[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if tenant_id is not None:
        query = query.where(AuditEvent.tenant_id == tenant_id)
    return (await session.execute(query)).scalars().all()
