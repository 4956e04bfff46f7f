"""API keys as tenant admins see them (the key itself only once, at creation)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bizosaas.core.schemas import FromRow

ApiKeyScope = Literal["events:write"]
DEFAULT_SCOPES: tuple[ApiKeyScope, ...] = ("events:write",)


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100)]
    scopes: list[ApiKeyScope] = Field(default_factory=lambda: list(DEFAULT_SCOPES), min_length=1)
    expires_at: AwareDatetime | None = None


class ApiKeyOut(FromRow):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    created_by: uuid.UUID | None
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="Shown once: store it now; only its hash is kept.")
