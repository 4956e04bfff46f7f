"""Outages lose nothing and say so: events keep coming while Valkey is killed and restarted,
then PostgreSQL is stopped and started, under a platform of their own (so the rest of
the suite keeps its servers). Afterwards every accepted event is processed exactly once,
with no replay, and clients saw only 2xx, 429, or 503 with Retry-After."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bizosaas.auth.context import tenant_info
from bizosaas.core.database import RowScope
from bizosaas.gamification.events.models import EventStatus, GamificationEvent
from bizosaas.identity.vocabulary import Role
from bizosaas.migrations.runner import provision_and_migrate
from bizosaas.stack import EmbeddedPostgres, EmbeddedValkey, free_tcp_port
from bizosaas.stack.isolated import Servers
from tests.conftest import (
    RunningPlatform,
    bind_platform_ports,
    platform_settings,
    serve_platform,
)
from tests.factories import PASSWORD, create_tenant, create_user, runtime_db
from tests.gamification.factories import settle

OUTAGE_SECONDS = 10.0
BATCH = 5


@dataclass
class Stream:
    """A tenant's server sending order events steadily, resending what was not accepted."""

    client: httpx.AsyncClient
    key: str
    user_id: uuid.UUID
    accepted: set[str] = field(default_factory=set)
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    refusals_without_retry_after: int = 0
    by_phase: dict[str, Counter[int]] = field(default_factory=dict)
    phase: str = "before"

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            batch = [
                {
                    "event_id": f"fault-{uuid.uuid4().hex}",
                    "type": "order.completed",
                    "user_id": str(self.user_id),
                    "properties": {"total": 10},
                }
                for _ in range(BATCH)
            ]
            self.sent += len(batch)
            await self._deliver(batch)
            await asyncio.sleep(0.05)

    async def _deliver(self, batch: list[dict[str, object]]) -> None:
        for _ in range(200):  # bounded: a batch is resent for about a minute at most
            response = await self.client.post(
                "/api/v1/gamification/events",
                json={"events": batch},
                headers={"X-API-Key": self.key},
            )
            self.statuses[response.status_code] += 1
            self.by_phase.setdefault(self.phase, Counter())[response.status_code] += 1
            if response.status_code == 202:
                self.accepted.update(str(e["event_id"]) for e in batch)
                return
            if response.status_code in (429, 503):
                retry_after = response.headers.get("retry-after")
                if retry_after is None:
                    self.refusals_without_retry_after += 1
                await asyncio.sleep(min(float(retry_after or 1), 0.5))
                continue
            raise AssertionError(f"unexpected {response.status_code}: {response.text[:300]}")


@pytest.fixture
async def fault_platform(
    tmp_path: Path, servers: Servers
) -> AsyncIterator[tuple[RunningPlatform, EmbeddedPostgres, EmbeddedValkey]]:
    postgres = EmbeddedPostgres(tmp_path / "postgres", free_tcp_port())
    valkey = EmbeddedValkey(tmp_path / "valkey", free_tcp_port())
    await asyncio.to_thread(postgres.start)
    await asyncio.to_thread(valkey.start)
    try:
        run = uuid.uuid4().hex[:8]
        urls = await provision_and_migrate(
            postgres.admin_url,
            f"fault_{run}",
            owner=("bizosaas_fault_owner", "owner-" + run),
            app=("bizosaas_fault_app", "app-" + run),
        )
        sockets = bind_platform_ports()
        settings = platform_settings(urls, servers, valkey.url, run, sockets)
        async with serve_platform(settings, sockets) as running:
            yield running, postgres, valkey
    finally:
        await asyncio.to_thread(valkey.stop)
        await asyncio.to_thread(postgres.stop)


def _kill(pid: int | None) -> None:
    assert pid is not None
    os.kill(pid, signal.SIGKILL)


async def test_events_survive_a_redis_and_a_postgresql_outage(
    fault_platform: tuple[RunningPlatform, EmbeddedPostgres, EmbeddedValkey],
) -> None:
    running, postgres, valkey = fault_platform
    auth, gamification = running.apps["auth-service"], running.apps["gamification-service"]
    tenant = await create_tenant(auth, rate_limit_per_hour=10_000_000)
    await auth.state.auth.tenants.publish(tenant_info(tenant))
    admin = await create_user(auth, tenant, Role.TENANT_ADMIN)
    member = await create_user(auth, tenant)
    async with httpx.AsyncClient(base_url=running.url, timeout=15) as client:
        tokens = (
            await client.post(
                "/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD}
            )
        ).json()
        client.cookies.clear()  # a server sends its API key, not a browser's cookies
        admin_headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        made = await client.post(
            "/api/v1/gamification/api-keys", json={"name": "shop"}, headers=admin_headers
        )
        assert made.status_code == 201, made.text
        board = await client.post(
            "/api/v1/gamification/leaderboards",
            json={
                "key": "orders",
                "name": "Orders",
                "metric": "event",
                "event_type": "order.completed",
                "operator": "count",
            },
            headers=admin_headers,
        )
        assert board.status_code == 201, board.text
        stream = Stream(client, made.json()["key"], member.id)
        stop = asyncio.Event()
        sending = asyncio.create_task(stream.run(stop))
        readiness: dict[str, int] = {}

        await asyncio.sleep(3)
        stream.phase = "redis down"
        _kill(valkey.pid)
        await asyncio.sleep(OUTAGE_SECONDS / 2)
        readiness["redis down"] = (await client.get("/ready")).status_code
        await asyncio.sleep(OUTAGE_SECONDS / 2)
        await asyncio.to_thread(valkey.start)
        stream.phase = "after redis"
        await asyncio.sleep(4)

        stream.phase = "postgres down"
        await asyncio.to_thread(postgres.stop)
        await asyncio.sleep(OUTAGE_SECONDS / 2)
        readiness["postgres down"] = (await client.get("/ready")).status_code
        await asyncio.sleep(OUTAGE_SECONDS / 2)
        await asyncio.to_thread(postgres.start)
        stream.phase = "after postgres"
        await asyncio.sleep(4)
        readiness["after"] = (await client.get("/ready")).status_code
        stop.set()
        await sending

        await settle(gamification, tenant.id, timeout=60)
        async with runtime_db(gamification).transaction(RowScope.tenant(tenant.id)) as db:
            counts = dict(
                (
                    await db.execute(
                        select(GamificationEvent.status, func.count())
                        .where(
                            GamificationEvent.tenant_id == tenant.id,
                            GamificationEvent.type == "order.completed",
                        )
                        .group_by(GamificationEvent.status)
                    )
                ).all()
            )
        member_tokens = (
            await client.post(
                "/api/v1/auth/login", json={"email": member.email, "password": PASSWORD}
            )
        ).json()
        client.cookies.clear()
        standing = await client.get(
            f"/api/v1/gamification/leaderboards/{board.json()['id']}/me",
            headers={"Authorization": f"Bearer {member_tokens['access_token']}"},
        )
    print(
        f"\nfault test: sent {stream.sent} events, accepted {len(stream.accepted)}, "
        f"processed {counts.get(EventStatus.PROCESSED, 0)}; answers {dict(stream.statuses)}; "
        f"by phase { ({k: dict(v) for k, v in stream.by_phase.items()}) }; ready {readiness}"
    )
    assert set(stream.statuses) <= {202, 429, 503}
    assert stream.refusals_without_retry_after == 0
    assert stream.statuses[503] > 0  # the outages were felt, and said so
    assert counts == {EventStatus.PROCESSED: len(stream.accepted)}  # none failed or pending
    assert standing.json()["score"] == len(stream.accepted)  # each counted once
    assert readiness == {"redis down": 503, "postgres down": 503, "after": 200}
