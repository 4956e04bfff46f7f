"""One way to run work in the background of a service: a named loop of turns.

A turn that reports more work runs again at once; otherwise the loop idles until
``wake()`` or its interval. A failing turn is logged and retried after the
interval, so the loop outlives a database or Redis restart. ``stop()`` ends it
even when a driver swallowed the cancellation mid-query (seen with asyncpg), and
the idle wait uses ``asyncio.timeout``, not ``wait_for``, which on Python 3.11
loses a cancel that lands as the wake-up does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from bizosaas.core.logging import get_logger

log = get_logger("bizosaas.background")


class BackgroundLoop:
    def __init__(
        self, name: str, turn: Callable[[], Awaitable[bool]], interval_seconds: float
    ) -> None:
        self.name = name
        self.turn = turn  # returns True when more work is waiting right now
        self.interval = interval_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self.name)

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                busy = await self.turn()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background work failed; retrying", loop=self.name)
                busy = False
            if not busy and not self._stopping:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.interval):
                        await self._wake.wait()
