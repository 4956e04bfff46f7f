"""Replays asked for by a tenant admin: run in the background, one at a time per tenant.

The status lives in Redis (shared by every copy of the service, kept a day). A
replay cut short by a restart leaves state that a second replay rebuilds in full.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import orjson

from bizosaas.core.database import utcnow
from bizosaas.core.errors import Conflict
from bizosaas.core.logging import get_logger
from bizosaas.core.runtime import Runtime
from bizosaas.gamification.events.processor import EventProcessor
from bizosaas.gamification.events.rebuild import replay_tenant
from bizosaas.gamification.events.schemas import ReplayStatus

log = get_logger("bizosaas.gamification.replays")
STATUS_TTL_SECONDS = 24 * 3600
LOCK_TTL_SECONDS = 6 * 3600


class ReplayRunner:
    def __init__(self, runtime: Runtime, processor: EventProcessor) -> None:
        self.runtime = runtime
        self.processor = processor
        self.tasks: set[asyncio.Task[None]] = set()

    def _key(self, tenant_id: uuid.UUID, part: str) -> str:
        return self.runtime.keys("gamification", "replay", tenant_id, part)

    async def start(self, tenant_id: uuid.UUID, since: datetime | None) -> ReplayStatus:
        redis = self.runtime.redis
        if not await redis.set(self._key(tenant_id, "lock"), "1", nx=True, ex=LOCK_TTL_SECONDS):
            raise Conflict("A replay is already running for this tenant.")
        status = ReplayStatus(
            state="running", done=0, total=0, since=since, started_at=utcnow(), finished_at=None
        )
        await self._save(tenant_id, status)
        task = asyncio.create_task(self._run(tenant_id, status))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return status

    async def status(self, tenant_id: uuid.UUID) -> ReplayStatus | None:
        raw = await self.runtime.redis.get(self._key(tenant_id, "status"))
        return ReplayStatus.model_validate_json(raw) if raw else None

    async def _save(self, tenant_id: uuid.UUID, status: ReplayStatus) -> None:
        await self.runtime.redis.set(
            self._key(tenant_id, "status"),
            orjson.dumps(status.model_dump(mode="json")),
            ex=STATUS_TTL_SECONDS,
        )

    async def _run(self, tenant_id: uuid.UUID, status: ReplayStatus) -> None:
        pending: list[asyncio.Task[None]] = []

        def progress(done: int, total: int) -> None:
            status.done, status.total = done, total
            pending.append(asyncio.create_task(self._save(tenant_id, status)))

        try:
            await replay_tenant(
                self.runtime.database,
                self.processor,
                tenant_id,
                status.since,
                progress,
            )
            status.state = "done"
        except Exception as exc:  # reported in the status; the log has the trace
            log.exception("replay failed", tenant_id=str(tenant_id))
            status.state, status.error = "failed", type(exc).__name__
        finally:
            await asyncio.gather(*pending, return_exceptions=True)
            status.finished_at = utcnow()
            await self._save(tenant_id, status)
            await self.runtime.redis.delete(self._key(tenant_id, "lock"))
