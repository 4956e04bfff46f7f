"""The gamification service (port 8010): events, achievements, leaderboards, notifications."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bizosaas.core.app import ReadinessCheck, create_service_app
from bizosaas.core.logging import get_logger
from bizosaas.core.runtime import Runtime
from bizosaas.core.settings import Settings, get_settings
from bizosaas.gamification.apikeys.service import publish_all_keys
from bizosaas.gamification.context import GamificationContext
from bizosaas.gamification.events.inbox import PlatformInbox
from bizosaas.gamification.leaderboards.scheduler import LeaderboardScheduler
from bizosaas.gamification.routers import ROUTERS, TAGS

log = get_logger("bizosaas.gamification")

DESCRIPTION = """
Referrals, achievements, leaderboards and showcases for every tenant.

Everything enters as an **event** (`POST /api/v1/gamification/events`), sent by the
tenant's servers with an API key (`X-API-Key`) or, for the event types a tenant
allows, by a member with its own token. Events are stored once per `event_id` and
processed into achievement progress, unlocks, leaderboard scores and
notifications; a replay of the log rebuilds the same state.

Members call with their access token (`Authorization: Bearer …`, or the HttpOnly
cookie plus `X-CSRF-Token` on writes). Every request is confined to the caller's
tenant; another tenant's id answers 404.
"""


def create_app(settings: Settings | None = None, *, run_processor: bool = True) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.create(settings, database_url=settings.gamification_database_url)
        app.state.runtime = runtime
        app.state.gamification = context = await GamificationContext.start(runtime)
        await publish_all_keys(runtime.database, context.api_keys)
        background: list[asyncio.Task[None]] = []
        inbox_task: asyncio.Task[None] | None = None
        inbox = PlatformInbox(
            runtime.redis, runtime.keys, runtime.database, context.wake_processors
        )
        scheduler = LeaderboardScheduler.of(context)
        if run_processor:
            context.processor.start()
            scheduler.start()
            background.append(
                asyncio.create_task(_listen_for_wakeups(context), name="gamification-wakeups")
            )
            inbox_task = asyncio.create_task(inbox.run(), name="gamification-inbox")
        try:
            yield
        finally:
            if inbox_task is not None:
                await inbox.stop(inbox_task)
            await scheduler.stop()
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await context.processor.stop()
            await runtime.close()

    def readiness(app: FastAPI) -> dict[str, ReadinessCheck]:
        runtime: Runtime = app.state.runtime
        return runtime.readiness()

    return create_service_app(
        service="gamification-service",
        title="BizOSaaS Gamification Service",
        description=DESCRIPTION,
        settings=settings,
        routers=ROUTERS,
        lifespan=lifespan,
        readiness=readiness,
        openapi_tags=TAGS,
    )


async def _listen_for_wakeups(context: GamificationContext) -> None:
    """Other copies announce new events on Redis; a lost message costs one poll interval."""
    while True:
        try:
            async with context.runtime.redis.pubsub() as pubsub:
                await pubsub.subscribe(context.wake_channel)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        context.processor.wake()
        except asyncio.CancelledError:
            raise
        except Exception:  # Redis restarted: the processor still polls meanwhile
            if _cancelled():
                raise
            log.warning("wake-up subscription lost; resubscribing")
            await asyncio.sleep(1.0)


def _cancelled() -> bool:
    """redis-py may turn a cancelled read into a connection error; a stop is still a stop."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
