"""The SQL of tenants, users and invitations.

Repositories see what their session's unit of work sees: a tenant admin's, its own
tenant; a platform-wide one (a super admin, sign-in by email), every tenant.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, or_, select, update

from bizosaas.auth.models import Invitation, Tenant, User
from bizosaas.core.database import utcnow
from bizosaas.core.repository import (
    Page,
    PageRequest,
    ScopedRepository,
    contains,
    keyset_page,
)

# fastapi-users types User.id and User.email as plain values; query through the columns.
_user = User.__table__.c


class TenantRecords(ScopedRepository[Tenant]):
    """Tenant rows (a tenant's own row is the one whose id is the tenant)."""

    model = Tenant
    tenant_column = "id"

    async def by_id(self, tenant_id: uuid.UUID) -> Tenant | None:
        return await self.get(Tenant.id == tenant_id)

    async def by_slug(self, slug: str) -> Tenant | None:
        return await self.get(Tenant.slug == slug.lower())

    async def page(self, page: PageRequest) -> Page[Tenant]:
        return await self.oldest_first(page, Tenant.created_at, Tenant.id)


class UserRepository(ScopedRepository[User]):
    model = User

    async def by_id(self, user_id: uuid.UUID) -> User | None:
        return await self.get(_user.id == user_id)

    async def with_tenant(
        self, *, email: str | None = None, user_id: uuid.UUID | None = None
    ) -> tuple[User, Tenant | None] | None:
        """A user and its tenant, by email (sign-in) or by id."""
        query = select(User, Tenant).outerjoin(Tenant, Tenant.id == User.tenant_id)
        if self.tenant_id is not None:
            query = query.where(User.tenant_id == self.tenant_id)
        if email is not None:
            query = query.where(_user.email == email.strip().lower())
        if user_id is not None:
            query = query.where(_user.id == user_id)
        row = (await self.session.execute(query)).first()
        return None if row is None else (row[0], row[1])

    async def mark_signed_in(self, user_id: uuid.UUID, new_password_hash: str | None) -> None:
        """Stamp the login; store the rehashed password when the hashing parameters moved on."""
        values: dict[str, Any] = {"last_login_at": utcnow()}
        if new_password_hash:
            values["hashed_password"] = new_password_hash
        query = update(User).where(_user.id == user_id)
        if self.tenant_id is not None:
            query = query.where(User.tenant_id == self.tenant_id)
        await self.session.execute(query.values(**values))

    async def page(self, page: PageRequest, search: str | None = None) -> Page[User]:
        """Oldest first; ``search`` keeps those whose email or name contains it (any case)."""
        query = self.statement()
        if search:
            query = query.where(
                or_(contains(_user.email, search), contains(_user.full_name, search))
            )
        return await keyset_page(
            self.session, query, (_user.created_at, _user.id), page, descending=False
        )

    async def email_taken(self, email: str) -> bool:
        """Among the users this unit of work sees (the unique index decides across tenants)."""
        query = self.statement().where(_user.email == email.strip().lower())
        count = select(func.count()).select_from(query.subquery())
        return bool((await self.session.execute(count)).scalar_one())


class InvitationRepository(ScopedRepository[Invitation]):
    model = Invitation

    async def by_token_hash(self, token_hash: str) -> Invitation | None:
        return await self.get(Invitation.token_hash == token_hash, lock=True)
