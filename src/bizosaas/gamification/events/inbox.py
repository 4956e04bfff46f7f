"""The platform's own events (logins, wizards) arriving through the Redis inbox stream.

Each copy of the service reads the stream in one consumer group, so every message
goes to one copy; it stores the events in the log (idempotently, by their ids) and
only then acknowledges them. A copy that dies holding messages loses them to the
others after :data:`CLAIM_IDLE_MS`, through ``XAUTOCLAIM``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bizosaas.core.database import Database, RowScope
from bizosaas.core.logging import get_logger
from bizosaas.core.platform_events import PlatformEvent, decode
from bizosaas.core.redis import Keys
from bizosaas.gamification.events.pipeline import Event
from bizosaas.gamification.events.repository import EventRepository

log = get_logger("bizosaas.gamification.inbox")
GROUP = "gamification-service"
READ_COUNT = 500
BLOCK_MS = 1000
CLAIM_IDLE_MS = 60_000


class PlatformInbox:
    def __init__(
        self, redis: Redis, keys: Keys, database: Database, wake: Callable[[], Awaitable[None]]
    ) -> None:
        self.redis = redis
        self.stream = keys("gamification", "inbox")
        self.database = database
        self.wake = wake
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        self.stopping = False

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Let the current read end by itself (cancelling a blocked XREADGROUP can leave
        redis-py's connection hanging), then make sure."""
        self.stopping = True
        try:
            await asyncio.wait_for(asyncio.shield(task), BLOCK_MS / 1000 + 2)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()

    async def run(self) -> None:
        while not self.stopping:
            try:
                await self._ensure_group()
                await self._drain("0")  # what this consumer held before a restart
                while not self.stopping:
                    await self._claim_abandoned()
                    await self._drain(">", block=BLOCK_MS)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis or PostgreSQL away: retry, nothing is acknowledged
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # redis-py turned our cancellation into a connection error
                log.warning("platform inbox interrupted; retrying", exc_info=True)
                await asyncio.sleep(1.0)

    async def _ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _claim_abandoned(self) -> None:
        _, messages, *_ = await self.redis.xautoclaim(
            self.stream, GROUP, self.consumer, CLAIM_IDLE_MS, "0-0", count=READ_COUNT
        )
        if messages:
            await self._store(messages)

    async def _drain(self, start: str, block: int | None = None) -> None:
        while True:
            response: Any = await self.redis.xreadgroup(
                GROUP, self.consumer, {self.stream: start}, count=READ_COUNT, block=block
            )
            messages = _messages_of(response, self.stream)
            if not messages:
                return
            await self._store(messages)
            if start == ">":
                return

    async def _store(self, messages: list[tuple[str, dict[str, str]]]) -> None:
        by_tenant: dict[uuid.UUID, list[PlatformEvent]] = defaultdict(list)
        for message_id, fields in messages:
            try:
                event = decode(fields)
            except (KeyError, ValueError):
                log.warning("dropping a malformed platform event", message_id=message_id)
                continue
            by_tenant[event.tenant_id].append(event)
        for tenant_id, events in by_tenant.items():
            async with self.database.transaction(RowScope.tenant(tenant_id)) as db:
                await EventRepository(db).store(
                    [
                        Event(e.event_id, e.type, e.user_id, e.properties, e.occurred_at)
                        for e in events
                    ],
                    source="platform",
                    source_id=None,
                )
        await self.redis.xack(self.stream, GROUP, *(message_id for message_id, _ in messages))
        if by_tenant:
            await self.wake()


def _messages_of(response: Any, stream: str) -> list[tuple[str, dict[str, str]]]:
    """XREADGROUP answers ``[[stream, messages]]`` (RESP2) or ``{stream: [messages]}`` (RESP3)."""
    if not response:
        return []
    if isinstance(response, dict):
        found = response.get(stream) or []
        return list(found[0] if found and isinstance(found[0], list) else found)
    return list(response[0][1])
