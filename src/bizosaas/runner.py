"""Run several ASGI apps in one process, each on its own port, and stop them together.

Every port is bound before any server starts, so a port that is taken fails with
one line naming it, and nothing is left half started.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import signal
import socket
from collections.abc import Callable, Generator, Sequence
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


class PortInUse(SystemExit):
    def __init__(self, name: str, host: str, port: int) -> None:
        super().__init__(
            f"Port {port} on {host} is already in use, so {name} cannot start "
            f"(stop what holds it, or choose another port)."
        )


def tune_gc() -> None:
    """Everything built at start-up lives for the whole run: keep it out of the collector's
    way, and collect the young generation less often (full collections were the p99 tail)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def bind(ports: Sequence[tuple[str, int]], host: str) -> list[socket.socket]:
    """A listening socket per ``(name, port)``; all or none (:class:`PortInUse` names it)."""
    bound: list[socket.socket] = []
    try:
        for name, port in ports:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                sock.close()
                if exc.errno == errno.EADDRINUSE:
                    raise PortInUse(name, host, port) from None
                raise
            sock.listen(2048)
            sock.set_inheritable(True)
            bound.append(sock)
    except BaseException:
        for sock in bound:
            sock.close()
        raise
    return bound


class ServerGroup:
    """The listeners' servers, on sockets bound beforehand; started and stopped together."""

    def __init__(self, listeners: Sequence[Listener], sockets: Sequence[socket.socket]) -> None:
        self.servers = [
            _Server(
                uvicorn.Config(
                    listener.app,
                    log_config=None,
                    access_log=False,
                    lifespan="on",
                    proxy_headers=False,
                    timeout_graceful_shutdown=10,
                )
            )
            for listener in listeners
        ]
        self.names = [listener.name for listener in listeners]
        self.sockets = list(sockets)
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Serve, and return once every server has started (or raise if one could not)."""
        self.tasks = [
            asyncio.create_task(server.serve(sockets=[sock]))
            for server, sock in zip(self.servers, self.sockets, strict=True)
        ]
        while not all(server.started for server in self.servers):
            if any(task.done() for task in self.tasks):
                await self.stop()
                failed = [n for n, s in zip(self.names, self.servers, strict=True) if not s.started]
                raise SystemExit(f"could not start: {', '.join(failed)} (see the log above)")
            await asyncio.sleep(0.02)

    async def wait(self) -> None:
        """Until any server ends (a signal asked them to, or one failed)."""
        await asyncio.wait(self.tasks, return_when=asyncio.FIRST_COMPLETED)

    def request_stop(self) -> None:
        for server in self.servers:
            server.should_exit = True

    async def stop(self) -> None:
        self.request_stop()
        results = await asyncio.gather(*self.tasks, return_exceptions=True)
        for sock in self.sockets:
            sock.close()
        for result in results:
            if isinstance(result, Exception):
                raise result


async def serve(
    listeners: Sequence[Listener],
    host: str = "127.0.0.1",
    sockets: Sequence[socket.socket] | None = None,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM; the first server to fail stops the rest."""
    if sockets is None:
        sockets = bind([(listener.name, listener.port) for listener in listeners], host)
    group = ServerGroup(listeners, sockets)
    tune_gc()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, group.request_stop)
    try:
        await group.start()
        if on_started is not None:
            on_started()
        await group.wait()
    finally:
        await group.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
