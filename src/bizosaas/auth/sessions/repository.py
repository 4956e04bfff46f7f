"""The SQL of sign-in sessions (their hot copies live in Redis:
:mod:`bizosaas.identity.sessions`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update

from bizosaas.auth.models import UserSession
from bizosaas.core.database import utcnow
from bizosaas.core.repository import ScopedRepository


class SessionRepository(ScopedRepository[UserSession]):
    model = UserSession

    async def by_id(self, session_id: uuid.UUID) -> UserSession | None:
        return await self.get(UserSession.id == session_id)

    async def open_sessions(self, user_id: uuid.UUID) -> Sequence[UserSession]:
        """Newest first."""
        query = self.statement().where(
            UserSession.user_id == user_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
        )
        return await self.all(query.order_by(UserSession.created_at.desc()))

    async def revoke(
        self,
        reason: str,
        *,
        session_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
        of_tenant: uuid.UUID | None = None,
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """Revoke matching open sessions; returns (session_id, user_id) of each one ended.
        ``of_tenant`` narrows a platform-wide unit of work to one tenant's sessions."""
        statement = (
            update(UserSession)
            .where(UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason=reason)
            .returning(UserSession.id, UserSession.user_id)
        )
        for column, value in (
            (UserSession.tenant_id, self.tenant_id),
            (UserSession.tenant_id, of_tenant),
            (UserSession.id, session_id),
            (UserSession.user_id, user_id),
        ):
            if value is not None:
                statement = statement.where(column == value)
        rows = (await self.session.execute(statement)).all()
        return [(row[0], row[1]) for row in rows]

    async def set_platform(self, session_id: uuid.UUID, platform: str) -> UserSession | None:
        """Move an open session to another platform; the row, or None if it is not open."""
        statement = (
            update(UserSession)
            .where(
                UserSession.id == session_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > utcnow(),
            )
            .values(platform=platform, last_seen_at=utcnow())
            .returning(UserSession)
        )
        if self.tenant_id is not None:
            statement = statement.where(UserSession.tenant_id == self.tenant_id)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def rotate_refresh(
        self, session_id: uuid.UUID, presented_hash: str, new_hash: str, expires_at: datetime
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
        if self.tenant_id is not None:
            statement = statement.where(UserSession.tenant_id == self.tenant_id)
        return (await self.session.execute(statement)).scalar_one_or_none()
