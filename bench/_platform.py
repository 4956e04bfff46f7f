"""The whole platform for a benchmark, as ``bizosaas up`` assembles it (every service on
its own port, every call through the Brain Gateway), in this process, with the demo
tenants seeded and their hourly limits raised so a run measures the work, not the rate
limiter; and the demo logins and new members it needs."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp

from bench._harness import LOOPBACK, progress
from bizosaas.auth.bootstrap import DEMO_LOGINS
from bizosaas.core.logging import configure_logging
from bizosaas.core.settings import Settings
from bizosaas.launch import IN_ONE_PROCESS, assemble_platform, listener_ports, seed
from bizosaas.runner import ServerGroup, bind
from bizosaas.stack.isolated import Servers, isolated_databases, isolated_settings, new_run

PASSWORD = "Bench-Toast-Lantern-2026"


@dataclass(frozen=True)
class Member:
    email: str
    user_id: str


def demo_login(email: str) -> tuple[str, str]:
    found = next(login for login in DEMO_LOGINS if login.email == email)
    return found.email, found.password


@contextlib.asynccontextmanager
async def running_platform(
    servers: Servers, prefix: str, **overrides: object
) -> AsyncIterator[tuple[Settings, str]]:
    """The platform's settings (with ``overrides``) and the gateway's origin, until the
    block ends."""
    sockets = bind(listener_ports(0, dict.fromkeys(IN_ONE_PROCESS, 0)), LOOPBACK)
    public_port = sockets[-1].getsockname()[1]
    ports = {
        name: sock.getsockname()[1] for name, sock in zip(IN_ONE_PROCESS, sockets[:-1], strict=True)
    }
    run_id = new_run()
    progress(f"provisioning and migrating the databases of run {run_id}")
    async with isolated_databases(servers, prefix, run_id) as urls:
        settings = isolated_settings(
            servers,
            prefix,
            run_id,
            **urls,
            log_level="WARNING",
            log_json=True,
            public_url=f"http://localhost:{public_port}",
            gateway_url=f"http://{LOOPBACK}:{public_port}",
            **overrides,
        )
        configure_logging(settings.log_level, settings.log_json)
        progress("seeding the demo tenants")
        await seed(settings)
        group = ServerGroup(assemble_platform(settings).listeners(public_port, ports), sockets)
        await group.start()
        origin = f"http://{LOOPBACK}:{public_port}"
        try:
            await _raise_limits(origin)
            yield settings, origin
        finally:
            await group.stop()


async def bearer_token(session: aiohttp.ClientSession, email: str, password: str) -> str:
    async with session.post("/api/v1/auth/login", json={"email": email, "password": password}) as r:
        body = await r.json()
    return str(body["access_token"])


async def _raise_limits(origin: str) -> None:
    """The demo tenants' hourly limit, raised through the auth API (the gateway reads it)."""
    async with aiohttp.ClientSession(origin) as session:
        token = await bearer_token(session, *demo_login("superadmin@bizosaas.local"))
        headers = {"Authorization": f"Bearer {token}"}
        async with session.get("/api/v1/auth/tenants", headers=headers) as response:
            tenants = (await response.json())["tenants"]
        for tenant in tenants:
            async with session.patch(
                f"/api/v1/auth/tenants/{tenant['id']}",
                json={"rate_limit_per_hour": 10_000_000},
                headers=headers,
            ) as response:
                response.raise_for_status()


async def new_members(
    session: aiohttp.ClientSession, token: str, count: int, prefix: str
) -> list[Member]:
    """New members of the demo tenant Acme, made by its admin through the auth API."""
    members = []
    for _ in range(count):
        email = f"{prefix}-{uuid.uuid4().hex[:8]}@acme-corp.example"
        async with session.post(
            "/api/v1/auth/users",
            json={"email": email, "full_name": "Bench Tester", "password": PASSWORD},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            response.raise_for_status()
            members.append(Member(email, (await response.json())["id"]))
    return members
