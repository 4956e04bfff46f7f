"""The background work of gamification: the event processor and what feeds and times it.

* the processor (pending events into progress, unlocks, scores, notifications);
* the wake-up subscription (other copies announce new events on Redis);
* the platform inbox (logins and other platform events from the Redis stream);
* the leaderboard scheduler (period resets).

`bizosaas up` runs it inside the API's process. In containers it is its own process
(`bizosaas serve gamification-worker`, with ``BIZOSAAS_GAMIFICATION_PROCESSOR_IN_API=false``
on the API), so processing never competes with requests for the same core; any number
of either may run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bizosaas.core.logging import get_logger
from bizosaas.gamification.context import GamificationContext
from bizosaas.gamification.events.inbox import PlatformInbox
from bizosaas.gamification.leaderboards.scheduler import LeaderboardScheduler

log = get_logger("bizosaas.gamification.worker")


@asynccontextmanager
async def background_work(context: GamificationContext) -> AsyncIterator[None]:
    runtime = context.runtime
    inbox = PlatformInbox(runtime.redis, runtime.keys, runtime.database, context.wake_processors)
    scheduler = LeaderboardScheduler.of(context)
    context.processor.start()
    scheduler.start()
    wakeups = asyncio.create_task(_listen_for_wakeups(context), name="gamification-wakeups")
    inbox_task = asyncio.create_task(inbox.run(), name="gamification-inbox")
    try:
        yield
    finally:
        await inbox.stop(inbox_task)
        await scheduler.stop()
        wakeups.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await wakeups
        await context.processor.stop()


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
