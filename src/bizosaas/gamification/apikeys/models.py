"""Tenant API keys: how server-side sources (CRM, e-commerce, wizards) send events."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import DateTime

from bizosaas.core.database import TimestampMixin, UUIDKey
from bizosaas.core.repository import TenantOwned, tenant_index
from bizosaas.gamification.db import GamificationBase


class ApiKey(TenantOwned, TimestampMixin, GamificationBase):
    __tablename__ = "api_keys"
    __table_args__ = (
        tenant_index("api_keys", "created_at"),
        Index("uq_api_keys_key_hash", "key_hash", unique=True),
    )

    id: Mapped[UUIDKey]
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(String(24), nullable=False)  # shown in lists
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # sha256 of the key
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(32)), nullable=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
