"""The ``gamification`` database: its declarative base and the platform's own tenant id.

Every table here is tenant-owned (``tenant_id`` first in an index, and a
row-level-security policy). Platform-wide things, such as the boards that rank
tenants against each other, belong to :data:`PLATFORM_TENANT`, which no real
tenant can ever be, so RLS keeps them out of every tenant's transactions too.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import DeclarativeBase

from bizosaas.core.database import RowScope, make_metadata

PLATFORM_TENANT = uuid.UUID(int=0)
# A unit of work over the platform's own rows that also reads across tenants (platform boards).
PLATFORM_SCOPE = RowScope(tenant_id=PLATFORM_TENANT, platform=True)


class GamificationBase(DeclarativeBase):
    metadata = make_metadata()
