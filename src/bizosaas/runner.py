"""Run several ASGI apps in one process, each on its own port, and stop them together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Generator, Sequence
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # One handler for the whole process (below), not one per server.
        yield


@dataclass(frozen=True)
class Listener:
    name: str
    app: ASGIApp
    port: int


def tune_gc() -> None:
    """Everything built at start-up lives for the whole run: keep it out of the collector's
    way, and collect the young generation less often (full collections were the p99 tail)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


async def serve(listeners: Sequence[Listener], host: str = "127.0.0.1") -> None:
    """Serve until SIGINT/SIGTERM; the first server to fail stops the rest."""
    servers = [
        _Server(
            uvicorn.Config(
                listener.app,
                host=host,
                port=listener.port,
                log_config=None,
                access_log=False,
                lifespan="on",
                proxy_headers=False,
            )
        )
        for listener in listeners
    ]
    tune_gc()
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    try:
        tasks = [asyncio.create_task(server.serve()) for server in servers]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        if any(not server.started for server in servers):
            raise SystemExit("a service could not start (is its port already in use?)")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
