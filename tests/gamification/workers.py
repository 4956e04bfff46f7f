"""Temporal workers as containers run them (`bizosaas serve temporal-worker` in a process
of its own, configured from the environment), on a platform of their own, for the tests
that stop, kill or time them."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx

from bizosaas.core.settings import Settings
from bizosaas.stack import free_tcp_port

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 40.0) -> T:
    """The first truthy answer of ``check``, asked every 0.1 s."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        answer = await check()
        if answer:
            return answer
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{check.__name__} never came true")
        await asyncio.sleep(0.1)


def settings_env(settings: Settings) -> dict[str, str]:
    """Every setting as the environment variable that gives it (a container's environment)."""
    return {
        f"BIZOSAAS_{name.upper()}": value if isinstance(value, str) else json.dumps(value)
        for name, value in settings.model_dump(mode="json").items()
        if value is not None
    }


def service_env(settings: Settings) -> dict[str, str]:
    """A service process's environment on this machine, with these settings."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("BIZOSAAS_")}
    return kept | settings_env(settings)


class WorkerProcess:
    """`bizosaas serve temporal-worker`; what it writes goes to a file (a pipe nobody reads
    would fill and stall it)."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_tcp_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        command = [str(Path(sys.executable).parent / "bizosaas"), "serve", "temporal-worker"]
        self.process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(self.port)],
            env=service_env(settings),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    async def ready(self) -> None:
        async with httpx.AsyncClient() as http:

            async def answers() -> bool:
                assert self.process.poll() is None, self.output()
                try:
                    response = await http.get(f"http://127.0.0.1:{self.port}/ready")
                except httpx.TransportError:
                    return False
                return response.status_code == 200

            await eventually(answers, timeout=60)

    def stop(self, signal_number: int) -> int:
        """Send the signal; the exit code once the process has ended."""
        self.process.send_signal(signal_number)
        try:
            return self.process.wait(30)
        finally:
            self.log.close()
