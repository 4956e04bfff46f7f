"""Tenant API keys at the gateway: accepted where a route allows them, for their own tenant."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from starlette.types import ASGIApp

from bizosaas.core.api_keys import ApiKeyDirectory, ApiKeyInfo, hash_api_key, new_api_key
from bizosaas.core.tenants import TenantDirectory, TenantInfo
from tests.factories import client_for, create_tenant


async def _published_key(app: FastAPI, tenant_id: uuid.UUID) -> tuple[str, ApiKeyInfo]:
    runtime = app.state.runtime
    key = new_api_key(tenant_id)
    info = ApiKeyInfo(uuid.uuid4(), tenant_id, ("events:write",))
    await ApiKeyDirectory(runtime.redis, runtime.keys).publish(hash_api_key(key), info)
    return key, info


async def test_a_published_key_is_forwarded_with_its_tenant(
    gateway: ASGIApp, guarded_auth_app: FastAPI
) -> None:
    tenant = await create_tenant(guarded_auth_app)
    key, info = await _published_key(guarded_auth_app, tenant.id)
    async with client_for(gateway) as client:
        response = await client.post(
            "/api/v1/gamification/echo",
            headers={"X-API-Key": key, "X-Tenant-ID": str(uuid.uuid4())},
        )
    assert response.status_code == 200, response.text
    seen = response.json()["headers"]
    assert seen["x-tenant-id"] == str(tenant.id)  # the key's tenant, not the client's claim
    assert seen["x-api-key-id"] == str(info.key_id)
    assert "x-user-id" not in seen
    assert response.headers["ratelimit-limit"] == "1000"  # the tenant's own limit


async def test_unknown_forged_and_misplaced_keys_are_refused(
    gateway: ASGIApp, guarded_auth_app: FastAPI
) -> None:
    tenant = await create_tenant(guarded_auth_app)
    key, _ = await _published_key(guarded_auth_app, tenant.id)
    async with client_for(gateway) as client:
        unknown = await client.get(
            "/api/v1/gamification/echo",
            headers={"X-API-Key": new_api_key(tenant.id), "X-Tenant-ID": str(tenant.id)},
        )
        garbage = await client.get("/api/v1/gamification/echo", headers={"X-API-Key": "nope"})
        # The CRM route does not take API keys: a key there is no credential at all.
        elsewhere = await client.get("/api/v1/crm/contacts", headers={"X-API-Key": key})
    assert garbage.status_code == elsewhere.status_code == 401
    # A well-formed key that Redis does not know may only have been lost from that cache:
    # it goes on for the service to check in PostgreSQL, vouching for no tenant, and is
    # counted against the caller's IP rather than the tenant it names.
    assert unknown.status_code == 200
    reached = unknown.json()["headers"]
    assert "x-tenant-id" not in reached and "x-api-key-id" not in reached
    assert unknown.headers["ratelimit-limit"] == "1000"


async def test_a_suspended_tenants_keys_stop_at_the_gateway(
    gateway: ASGIApp, guarded_auth_app: FastAPI
) -> None:
    tenant = await create_tenant(guarded_auth_app)
    key, _ = await _published_key(guarded_auth_app, tenant.id)
    runtime = guarded_auth_app.state.runtime
    await TenantDirectory(runtime.redis, runtime.keys).publish(
        TenantInfo(tenant.id, tenant.slug, "suspended", 1000)
    )
    async with client_for(gateway) as client:
        response = await client.get("/api/v1/gamification/echo", headers={"X-API-Key": key})
    assert response.status_code == 403
