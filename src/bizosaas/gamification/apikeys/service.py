"""Creating, listing and revoking tenant API keys."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.api_keys import (
    ApiKeyDirectory,
    ApiKeyInfo,
    display_prefix,
    hash_api_key,
    new_api_key,
    tenant_of,
)
from bizosaas.core.database import Database, RowScope, after_commit, utcnow
from bizosaas.core.errors import BadRequest, NotFound, Unauthorized
from bizosaas.gamification.apikeys.models import ApiKey
from bizosaas.gamification.apikeys.repository import ApiKeyRepository, UsableKeys
from bizosaas.gamification.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from bizosaas.gamification.caller import Caller

MAX_ACTIVE_KEYS = 50


async def create_key(
    db: AsyncSession, directory: ApiKeyDirectory, caller: Caller, body: ApiKeyCreate
) -> ApiKeyCreated:
    if body.expires_at is not None and body.expires_at <= utcnow():
        raise BadRequest("expires_at must be in the future.")
    keys = ApiKeyRepository(db)
    if await keys.active_count() >= MAX_ACTIVE_KEYS:
        raise BadRequest(f"A tenant may have at most {MAX_ACTIVE_KEYS} active keys; revoke one.")
    key = new_api_key(caller.tenant_id)
    row = ApiKey(
        id=uuid.uuid4(),
        tenant_id=caller.tenant_id,
        name=body.name,
        prefix=display_prefix(key),
        key_hash=hash_api_key(key),
        scopes=sorted(set(body.scopes)),
        created_by=caller.user_id,
        expires_at=body.expires_at,
    )
    keys.add(row)
    await db.flush()
    # The key must exist in PostgreSQL before Redis vouches for it.
    info, expires_at = info_of(row), row.expires_at
    after_commit(db, lambda: directory.publish(row.key_hash, info, expires_at))
    return ApiKeyCreated(**ApiKeyOut.model_validate(row).model_dump(), key=key)


async def list_keys(db: AsyncSession, caller: Caller) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(row) for row in await ApiKeyRepository(db).newest_first()]


async def revoke_key(db: AsyncSession, directory: ApiKeyDirectory, key_id: uuid.UUID) -> ApiKeyOut:
    """The tenant's key (or, in a platform-wide unit of work, anyone's); another tenant's
    answers 404."""
    row = await ApiKeyRepository(db).by_id(key_id)
    if row is None:
        raise NotFound("No such API key.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    # Redis first: even if the commit below failed, the key stops working now.
    await directory.revoke(row.key_hash)
    await db.flush()
    return ApiKeyOut.model_validate(row)


async def publish_all_keys(database: Database, directory: ApiKeyDirectory) -> int:
    """Rebuild the key directory in Redis from PostgreSQL (the gateway reads it)."""
    now = utcnow()
    async with database.transaction(RowScope.platform_wide()) as db:
        rows = await UsableKeys(db).all(now)
    for row in rows:
        await directory.publish(row.key_hash, info_of(row), row.expires_at)
    return len(rows)


def info_of(row: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(row.id, row.tenant_id, tuple(row.scopes))


class ApiKeyLookup:
    """A key the Redis directory did not know (it is only a cache): check PostgreSQL, and
    vouch for it in Redis again if it is valid."""

    def __init__(self, database: Database, directory: ApiKeyDirectory) -> None:
        self.database = database
        self.directory = directory

    async def __call__(self, key: str) -> ApiKeyInfo:
        tenant_id = tenant_of(key)
        if tenant_id is None:
            raise Unauthorized("The API key is not valid.")
        key_hash = hash_api_key(key)
        async with self.database.transaction(RowScope.tenant(tenant_id)) as db:
            row = await ApiKeyRepository(db).by_hash(key_hash)
            if row is None or row.revoked_at is not None:
                raise Unauthorized("The API key is not valid.")
            if row.expires_at is not None and row.expires_at <= utcnow():
                raise Unauthorized("The API key has expired.")
            info, expires_at = info_of(row), row.expires_at
        await self.directory.publish(key_hash, info, expires_at)
        return info
