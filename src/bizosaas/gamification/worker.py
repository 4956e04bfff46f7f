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

from bizosaas.gamification.events.inbox import PlatformInbox
from bizosaas.gamification.leaderboards.scheduler import LeaderboardScheduler
from bizosaas.gamification.services import GamificationServices


@asynccontextmanager
async def background_work(services: GamificationServices) -> AsyncIterator[None]:
    runtime = services.runtime
    inbox = PlatformInbox(runtime.redis, runtime.keys, runtime.database, services.wake)
    scheduler = LeaderboardScheduler(services.live)
    services.processor.start()
    scheduler.start()
    wakeups = asyncio.create_task(
        services.wake.listen(services.processor), name="gamification-wakeups"
    )
    inbox_task = asyncio.create_task(inbox.run(), name="gamification-inbox")
    try:
        yield
    finally:
        await inbox.stop(inbox_task)
        await scheduler.stop()
        wakeups.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await wakeups
        await services.processor.stop()
