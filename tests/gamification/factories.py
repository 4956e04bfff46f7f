"""Gamification test helpers: a tenant with an admin, members, API keys, and waiting for the
event processor (it runs in the background, as in production)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from bizosaas.auth.models import Tenant, User
from bizosaas.identity.vocabulary import Role
from tests.factories import bearer, client_for, create_tenant, create_user, login


@dataclass
class Member:
    user: User
    headers: dict[str, str]

    @property
    def id(self) -> uuid.UUID:
        return self.user.id


@dataclass
class Org:
    """A tenant, its admin, and a client for the gamification service."""

    tenant: Tenant
    admin: Member
    client: httpx.AsyncClient
    auth_app: FastAPI
    app: FastAPI

    @property
    def id(self) -> uuid.UUID:
        return self.tenant.id

    async def member(self, role: Role = Role.USER, **overrides: Any) -> Member:
        return await _member(self.auth_app, self.tenant, role, **overrides)

    async def api_key(self, name: str = "server") -> str:
        response = await self.client.post(
            "/api/v1/gamification/api-keys", json={"name": name}, headers=self.admin.headers
        )
        assert response.status_code == 201, response.text
        return str(response.json()["key"])

    async def send(self, events: list[dict[str, Any]], key: str) -> httpx.Response:
        return await self.client.post(
            "/api/v1/gamification/events", json={"events": events}, headers={"X-API-Key": key}
        )

    async def settle(self, timeout: float = 15.0) -> None:
        await settle(self.app, self.id, timeout)

    async def logged_in(self, member: Member) -> None:
        """Wait until the member's login event (sent by the auth service) is processed."""
        for _ in range(300):
            log = await self.client.get(
                "/api/v1/gamification/events",
                params={"user_id": str(member.id), "type": "member.login", "status": "processed"},
                headers=self.admin.headers,
            )
            if log.json()["events"]:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the login event was never processed")


async def _member(auth_app: FastAPI, tenant: Tenant, role: Role, **overrides: Any) -> Member:
    user = await create_user(auth_app, tenant, role, **overrides)
    async with client_for(auth_app) as client:
        tokens = await login(client, user.email)
    return Member(user, bearer(tokens))


async def make_org(auth_app: FastAPI, app: FastAPI, **tenant_overrides: Any) -> Org:
    tenant = await create_tenant(auth_app, **tenant_overrides)
    admin = await _member(auth_app, tenant, Role.TENANT_ADMIN)
    return Org(tenant, admin, client_for(app), auth_app, app)


async def settle(app: FastAPI, tenant_id: uuid.UUID, timeout: float = 15.0) -> None:
    """Wait until the background processor has handled every pending event of the tenant."""
    processor = app.state.services.processor
    deadline = asyncio.get_running_loop().time() + timeout
    while await processor.pending_count(tenant_id):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("events still pending after the timeout")
        await asyncio.sleep(0.05)


def event(user: Member | uuid.UUID, type: str, **properties: Any) -> dict[str, Any]:
    user_id = user.id if isinstance(user, Member) else user
    return {
        "event_id": f"e-{uuid.uuid4().hex}",
        "type": type,
        "user_id": str(user_id),
        "properties": properties,
    }
