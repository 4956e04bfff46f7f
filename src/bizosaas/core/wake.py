"""Waking one kind of background work in every copy (this one too) through Redis pub/sub.

Whatever commits work for it calls the wake-up (new events for the event processor,
new held rewards for the hold keeper); each copy's listener wakes its own loop. A lost
message costs one poll interval, never any work.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from bizosaas.core.logging import get_logger
from bizosaas.core.runtime import Runtime

log = get_logger("bizosaas.wake")


class Wakeable(Protocol):
    def wake(self) -> None: ...


class Wake:
    def __init__(self, runtime: Runtime, channel: str) -> None:
        self.redis = runtime.redis
        self.channel = runtime.keys(channel)

    async def __call__(self) -> None:
        """New work was committed: do it now rather than at the next poll."""
        await self.redis.publish(self.channel, "1")

    async def listen(self, work: Wakeable) -> None:
        """Wake this copy's ``work`` whenever any copy announces new work."""
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            work.wake()
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis restarted: the work still polls meanwhile
                if _cancelled():
                    raise
                log.warning("wake-up subscription lost; resubscribing", channel=self.channel)
                await asyncio.sleep(1.0)


def _cancelled() -> bool:
    """redis-py may turn a cancelled read into a connection error; a stop is still a stop."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
