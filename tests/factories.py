"""Small async helpers that make the data a test needs, each in its own tenant."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp

from bizosaas.auth.bootstrap import ensure_user
from bizosaas.auth.context import member_info, tenant_info
from bizosaas.auth.models import Tenant, User
from bizosaas.core.database import Database, RowScope
from bizosaas.identity.vocabulary import Role

PASSWORD = "Quiet-Meadow-Lantern-93"


def runtime_db(app: FastAPI) -> Database:
    return app.state.runtime.database  # type: ignore[no-any-return]


class FrontDoor:
    """The gateway of the platform under test (set by the ``platform`` fixture)."""

    app: ASGIApp | None = None


def _random_ip() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def client_for(app: ASGIApp, ip: str | None = None) -> httpx.AsyncClient:
    """A client that reaches ``app`` as the world does: through the platform's Brain Gateway
    (with the shipped route table and every guard on), from an address of its own, since
    throttling is per IP. A gateway passed in is called itself."""
    front = app if getattr(app, "gateway", None) is not None else FrontDoor.app
    assert front is not None, "the platform fixture has not started"
    return direct_client(front, ip)


def direct_client(app: ASGIApp, ip: str | None = None) -> httpx.AsyncClient:
    """A client that calls ``app`` itself, in-process: only for tests of the guards."""
    transport = httpx.ASGITransport(app=app, client=(ip or _random_ip(), 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://localhost")


async def create_tenant(app: FastAPI, **overrides: Any) -> Tenant:
    slug = overrides.pop("slug", f"t-{uuid.uuid4().hex[:12]}")
    async with runtime_db(app).transaction(RowScope.platform_wide()) as db:
        tenant = Tenant(
            id=uuid.uuid4(), slug=slug, name=overrides.pop("name", slug.title()), **overrides
        )
        db.add(tenant)
    # As the auth service does on every tenant change: other services learn of the tenant.
    await app.state.auth.tenants.publish(tenant_info(tenant))
    return tenant


async def create_user(
    app: FastAPI,
    tenant: Tenant | None,
    role: Role = Role.USER,
    password: str = PASSWORD,
    **overrides: Any,
) -> User:
    email = overrides.pop("email", f"u{uuid.uuid4().hex[:10]}@example.com")
    async with runtime_db(app).transaction(RowScope.platform_wide()) as db:
        user, _ = await ensure_user(db, email, password, role, tenant, full_name="Test Person")
        for key, value in overrides.items():
            setattr(user, key, value)
    # As the auth service does on every user change: other services learn of the member.
    await app.state.auth.members.publish(member_info(user))
    return user


async def login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/login", json={"email": email, "password": password, **extra}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}
