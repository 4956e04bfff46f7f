"""The platform from its image: the repository's Dockerfile built with podman, every service
started as its own container against this run's PostgreSQL, Valkey, OpenBao and
Temporal; a tenant admin signs in through the containerised gateway with the HTML form,
and the tenant's server sends events there with an API key. Everything started is
stopped. Skipped, saying so, where podman is not installed (CI installs it)."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from fastapi import FastAPI

from bizosaas.core.settings import Settings
from bizosaas.gateway.config import upstream_env_name
from bizosaas.identity.vocabulary import Role
from bizosaas.services import SERVICES
from bizosaas.stack import free_tcp_port
from tests.conftest import RunningPlatform
from tests.deploy.containers import PODMAN, WHY_SKIPPED, Fleet, build_image, refused
from tests.factories import PASSWORD, create_tenant, create_user
from tests.gamification.workers import settings_env
from tests.web.conftest import hidden_csrf

pytestmark = [pytest.mark.skipif(PODMAN is None, reason=WHY_SKIPPED), pytest.mark.timeout(1500)]
HEALTHY_WITHIN_S = 120.0


def environment(settings: Settings, ports: dict[str, int]) -> dict[str, str]:
    """What a container of this run is given: every setting, by its environment variable."""
    env = settings_env(settings)
    gateway = ports["brain-gateway"]
    env |= {
        "BIZOSAAS_PUBLIC_URL": f"http://localhost:{gateway}",
        "BIZOSAAS_GATEWAY_URL": f"http://127.0.0.1:{gateway}",
        "BIZOSAAS_GAMIFICATION_PROCESSOR_IN_API": "false",  # the worker container's job
    }
    for service, port in ports.items():
        env[upstream_env_name(service)] = f"http://127.0.0.1:{port}"
    return env


async def all_healthy(fleet: Fleet, names: list[str]) -> float:
    started = time.monotonic()
    waiting = set(names)
    while waiting:
        if time.monotonic() - started > HEALTHY_WITHIN_S:
            logs = "\n".join(f"== {n}\n{fleet.logs(n)}" for n in sorted(waiting))
            raise AssertionError(f"not healthy after {HEALTHY_WITHIN_S:.0f} s:\n{logs}")
        for name in list(waiting):
            if await asyncio.to_thread(fleet.healthy, name):
                waiting.discard(name)
        await asyncio.sleep(1)
    return time.monotonic() - started


async def test_a_container_without_its_settings_stops_at_once_saying_which() -> None:
    await asyncio.to_thread(build_image)
    bare = await asyncio.to_thread(refused, "wizard-service", {})
    assert bare == [
        "wizard-service: set REDIS_URL, VAULT_ADDR, VAULT_TOKEN, BIZOSAAS_PUBLIC_URL, "
        "DATABASE_URL, BIZOSAAS_GATEWAY_URL (a service run alone takes its settings from the "
        "environment only)"
    ]
    given = {
        "DATABASE_URL": "postgresql+asyncpg://app:Quiet-Meadow-93@db:5432/bizosaas",
        "REDIS_URL": "redis://valkey:6379/0",
        "VAULT_ADDR": "http://openbao:8200",
        "VAULT_TOKEN": "root",  # OpenBao's development token
        "BIZOSAAS_PUBLIC_URL": "https://platform.example.com",
    }
    (line,) = await asyncio.to_thread(refused, "auth-service", given)  # production by default
    assert line.startswith("auth-service: refusing to start in production:")
    assert "VAULT_TOKEN is missing or a development value" in line


async def test_every_service_runs_from_the_image_behind_its_gateway(
    settings: Settings, platform: RunningPlatform, auth_app: FastAPI
) -> None:
    await asyncio.to_thread(build_image)
    ports = {name: free_tcp_port() for name in SERVICES}
    fleet = Fleet(uuid.uuid4().hex[:8])
    env = environment(settings, ports)
    try:
        names = [fleet.start(service, port, env) for service, port in ports.items()]
        await all_healthy(fleet, names)

        tenant = await create_tenant(auth_app)
        admin = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
        origin = f"http://127.0.0.1:{ports['brain-gateway']}"
        async with httpx.AsyncClient(base_url=origin, timeout=30) as browser:
            form = await browser.get("/login")
            assert form.status_code == 200
            signed_in = await browser.post(
                "/login",
                data={
                    "email": admin.email,
                    "password": PASSWORD,
                    "csrf_token": hidden_csrf(form.text),
                },
            )
            assert signed_in.status_code == 303 and signed_in.headers["location"] == "/admin"
            dashboard = await browser.get("/admin")
            assert dashboard.status_code == 200 and admin.email in dashboard.text

            tokens = await browser.post(
                "/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD}
            )
            bearer = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
            key = await browser.post(
                "/api/v1/gamification/api-keys", json={"name": "shop"}, headers=bearer
            )
            assert key.status_code == 201, key.text
            events = [
                {
                    "event_id": f"c-{uuid.uuid4().hex}",
                    "type": "campaign.launched",
                    "user_id": str(admin.id),
                    "properties": {"channel": "email"},
                }
            ]
            async with httpx.AsyncClient(base_url=origin, timeout=30) as shop:  # no cookies
                sent = await shop.post(
                    "/api/v1/gamification/events",
                    json={"events": events},
                    headers={"X-API-Key": key.json()["key"]},
                )
            assert sent.status_code == 202, sent.text
            assert sent.json()["accepted"] == 1
            for _ in range(150):
                log = await browser.get(
                    "/api/v1/gamification/events",
                    params={"status": "processed", "type": "campaign.launched"},
                    headers=bearer,
                )
                if log.json()["events"]:
                    break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError("the event was never processed")
    finally:
        await asyncio.to_thread(fleet.stop)
    assert await asyncio.to_thread(fleet.running) == []
