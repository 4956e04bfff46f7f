"""Run several ASGI apps in one process, each on its own port, and stop them together."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Generator, Sequence
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send


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


class PathDispatch:
    """The single public origin of a local run: path prefix → app.

    Browsers need one origin (cookies, CSRF, relative redirects); the Brain Gateway
    takes this role once it runs, with its middleware in front.
    """

    def __init__(self, routes: Sequence[tuple[str, ASGIApp]], fallback: ASGIApp) -> None:
        self.routes = sorted(routes, key=lambda r: len(r[0]), reverse=True)
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            for prefix, app in self.routes:
                if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                    await app(scope, receive, send)
                    return
            await self.fallback(scope, receive, send)
        elif scope["type"] == "lifespan":
            # The apps' own servers run their lifespans; this one has none of its own.
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})


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
