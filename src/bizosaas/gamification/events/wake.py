"""Waking the event processors of every copy (this one too) through Redis pub/sub.

Anything that commits new events calls the wake-up; each copy's listener wakes its
own processor. A lost message costs one poll interval, never an event.
"""

from __future__ import annotations

import asyncio

from bizosaas.core.logging import get_logger
from bizosaas.core.runtime import Runtime
from bizosaas.gamification.events.processor import EventProcessor

log = get_logger("bizosaas.gamification.events")
WAKE_CHANNEL = "gamification:events:wake"


class ProcessorWake:
    def __init__(self, runtime: Runtime) -> None:
        self.redis = runtime.redis
        self.channel = runtime.keys(WAKE_CHANNEL)

    async def __call__(self) -> None:
        """New events were committed: process them now rather than at the next poll."""
        await self.redis.publish(self.channel, "1")

    async def listen(self, processor: EventProcessor) -> None:
        """Wake this copy's processor whenever any copy announces new events."""
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            processor.wake()
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
