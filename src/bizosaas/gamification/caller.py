"""A verified caller of the gamification service, inside one tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bizosaas.core.database import RowScope
from bizosaas.core.errors import Forbidden, NotFound
from bizosaas.identity.vocabulary import Permission, Role


@dataclass(frozen=True, slots=True)
class Caller:
    """A verified caller inside one tenant."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID | None  # None for an API key
    role: Role | None
    permissions: frozenset[str]
    api_key_id: uuid.UUID | None = None
    api_key_scopes: tuple[str, ...] = ()
    tenant_slug: str | None = None  # how public pages name the tenant

    @property
    def is_api_key(self) -> bool:
        return self.api_key_id is not None

    @property
    def is_tenant_admin(self) -> bool:
        return self.role is Role.TENANT_ADMIN

    @property
    def row_scope(self) -> RowScope:
        return RowScope.tenant(self.tenant_id)

    def require(self, permission: Permission) -> None:
        if self.is_api_key or permission.value not in self.permissions:
            raise Forbidden(f"This needs the {permission.value} permission.")

    def require_admin(self) -> None:
        if not self.is_tenant_admin:
            raise Forbidden("Only a tenant admin may do this.")

    def require_member(self) -> uuid.UUID:
        """The calling member (an API key acts for no member)."""
        if self.user_id is None:
            raise Forbidden("This needs a member's token, not an API key.")
        return self.user_id

    def check_tenant(self, tenant_id: uuid.UUID) -> None:
        """Another tenant's id in a path is answered as if it did not exist."""
        if tenant_id != self.tenant_id:
            raise NotFound("No such tenant.")
