"""Who is calling: the verified identity every service authorizes against."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from bizosaas.core.database import RowScope
from bizosaas.identity.vocabulary import Role


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    email: str
    role: Role
    tenant_id: uuid.UUID | None
    tenant_slug: str | None
    permissions: frozenset[str]
    allowed_platforms: tuple[str, ...]
    platform: str
    session_id: uuid.UUID
    token_id: str
    claims: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def is_super_admin(self) -> bool:
        return self.role is Role.SUPER_ADMIN

    @property
    def row_scope(self) -> RowScope:
        """The RLS scope of this caller's transactions."""
        if self.tenant_id is None:
            return RowScope.platform_wide()
        return RowScope.tenant(self.tenant_id)

    def has(self, permission: str) -> bool:
        return permission in self.permissions
