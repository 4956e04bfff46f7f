"""``/api/v1/gamification/api-keys``: tenant admins' keys for server-side sources."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from bizosaas.gamification.apikeys import service
from bizosaas.gamification.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from bizosaas.gamification.dependencies import AdminDep, ApiKeysDep, SessionDep

router = APIRouter(prefix="/api/v1/gamification/api-keys", tags=["api keys"])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a key (shown once)")
async def create_api_key(
    body: ApiKeyCreate, caller: AdminDep, db: SessionDep, api_keys: ApiKeysDep
) -> ApiKeyCreated:
    """The response carries the key itself; it is never shown again (only its hash is kept)."""
    return await service.create_key(db, api_keys, caller, body)


@router.get("", summary="List the tenant's keys")
async def list_api_keys(caller: AdminDep, db: SessionDep) -> list[ApiKeyOut]:
    return await service.list_keys(db, caller)


@router.delete("/{key_id}", summary="Revoke a key (at once, on every copy)")
async def revoke_api_key(
    key_id: uuid.UUID, caller: AdminDep, db: SessionDep, api_keys: ApiKeysDep
) -> ApiKeyOut:
    return await service.revoke_key(db, api_keys, caller, key_id)
