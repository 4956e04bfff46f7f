"""One way to run work in the background of a service: a named loop of turns.

A turn that reports more work runs again at once; otherwise the loop idles until
``wake()`` or its interval. A failing turn is logged and retried after the
interval, doubling while it keeps failing (up to ``MAX_BACKOFF_SECONDS``), so the loop
outlives a database or Redis restart without hammering either. ``stop()`` ends it
even when a driver swallowed the cancellation mid-query (seen with asyncpg), and
the idle wait uses ``asyncio.timeout``, not ``wait_for``, which on Python 3.11
loses a cancel that lands as the wake-up does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from bizosaas.core.errors import is_outage
from bizosaas.core.logging import get_logger

log = get_logger("bizosaas.background")
MAX_BACKOFF_SECONDS = 30.0


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
        failures = 0
        while not self._stopping:
            try:
                busy = await self.turn()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                wait = min(self.interval * 2 ** (failures - 1), MAX_BACKOFF_SECONDS)
                if is_outage(exc):
                    log.warning("a store is unavailable; retrying", loop=self.name, retry_in=wait)
                else:
                    log.exception("background work failed; retrying", loop=self.name)
                await self._sleep(wait, wakeable=False)
                continue
            if not busy and not self._stopping:
                await self._sleep(self.interval, wakeable=True)

    async def _sleep(self, seconds: float, *, wakeable: bool) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while True:  # a wake-up cuts an idle wait short, never a back-off
                    await self._wake.wait()
                    if wakeable or self._stopping:
                        return
                    self._wake.clear()


class BackgroundWork:
    """A component whose work runs in one :class:`BackgroundLoop`: subclasses say what a
    turn is (``turn``) and name the loop; ``start``, ``wake`` and ``stop`` drive it."""

    loop_name = "background-work"

    def __init__(self, interval_seconds: float) -> None:
        self._loop = BackgroundLoop(self.loop_name, self.turn, interval_seconds)

    async def turn(self) -> bool:
        """One turn of work; True when more is waiting right now."""
        raise NotImplementedError

    def start(self) -> None:
        self._loop.start()

    def wake(self) -> None:
        self._loop.wake()

    async def stop(self) -> None:
        await self._loop.stop()
