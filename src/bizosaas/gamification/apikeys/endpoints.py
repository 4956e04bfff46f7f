"""``/api/v1/gamification/api-keys``: tenant admins' keys for server-side sources."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from bizosaas.gamification.apikeys import service
from bizosaas.gamification.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from bizosaas.gamification.dependencies import (
    AdminDep,
    ApiKeysDep,
    EveryTenantSessionDep,
    SessionDep,
)

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
    return await service.revoke_key(db, api_keys, key_id)


platform_router = APIRouter(prefix="/api/v1/gamification/platform/api-keys", tags=["api keys"])


@platform_router.delete(
    "/{key_id}",
    summary="Revoke any tenant's key (super admin)",
    responses={404: {"description": "No such key"}},
)
async def revoke_any_api_key(
    key_id: uuid.UUID, db: EveryTenantSessionDep, api_keys: ApiKeysDep
) -> ApiKeyOut:
    """For abuse across tenants (SQLAdmin's Revoke): the same revocation a tenant admin
    makes, at once on every copy."""
    return await service.revoke_key(db, api_keys, key_id)
