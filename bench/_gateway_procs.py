"""The processes of the gateway benchmark: uvicorn servers, the load generator, CPU meters.

Each is started here, known by its pid, and stopped by that pid (SIGTERM, then
SIGKILL): never by name.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import orjson
import psutil

from bench._harness import HAS_HTTPTOOLS, HAS_UVLOOP, LOOPBACK, REPO, cpu_seconds
from bizosaas.stack import free_tcp_port


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


class UvicornServer:
    """``python -m uvicorn --factory bench.gateway_server:<factory>`` on a free port."""

    def __init__(self, name: str, factory: str, env: dict[str, str], log_file: Path) -> None:
        self.name = name
        self.factory = factory
        self.env = env
        self.log_file = log_file
        self.port = free_tcp_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        argv = [
            sys.executable,
            *("-m", "uvicorn", "--factory", f"bench.gateway_server:{self.factory}"),
            *("--app-dir", str(REPO), "--host", LOOPBACK, "--port", str(self.port)),
            *("--lifespan", "on", "--no-proxy-headers", "--no-server-header"),
            *("--loop", "uvloop" if HAS_UVLOOP else "asyncio"),
            *("--http", "httptools" if HAS_HTTPTOOLS else "h11"),
            *("--log-level", "warning", "--no-access-log"),
        ]
        with self.log_file.open("ab") as log:  # stderr too: the gateway's JSON log lines
            self.proc = subprocess.Popen(
                argv, cwd=REPO, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )

    def wait_ready(self, path: str, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and self.proc is not None and self.proc.poll() is None:
            with (
                contextlib.suppress(urllib.error.URLError, OSError),
                urllib.request.urlopen(self.url + path, timeout=2) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.1)
        tail = self.log_file.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{self.name} did not become ready on {self.url}{path}:\n{tail}")

    def stop(self) -> None:
        _stop(self.proc)


class LoadGenerator:
    """``python -m bench._gateway_load``: one process, phases sent as JSON lines."""

    def __init__(self, log_file: Path) -> None:
        self.log_file = log_file
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bench._gateway_load"],
                cwd=REPO,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        self._expect("ready")

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        return self.proc.stdin, self.proc.stdout

    def _expect(self, event: str) -> dict[str, Any]:
        _, stdout = self._pipes()
        line = stdout.readline()
        if not line:
            tail = self.log_file.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the load generator exited:\n{tail}")
        message: dict[str, Any] = orjson.loads(line)
        if message.get("event") != event:
            raise RuntimeError(f"the load generator said {message}, expected {event!r}")
        return message

    def run(self, spec: dict[str, Any], measuring: Callable[[], None]) -> dict[str, Any]:
        """One phase; ``measuring`` is called when the warm-up is over."""
        stdin, _ = self._pipes()
        stdin.write(orjson.dumps(spec) + b"\n")
        stdin.flush()
        self._expect("measuring")
        measuring()
        return self._expect("done")

    def stop(self) -> None:
        if self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()  # end of phases: it exits on its own
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        _stop(self.proc)


class CpuMeter:
    """CPU seconds of named processes, read around a measured window."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.processes: dict[str, psutil.Process] = {}
        for name, pid in pids.items():
            with contextlib.suppress(psutil.Error):
                self.processes[name] = psutil.Process(pid)

    def snapshot(self) -> dict[str, float]:
        return {name: cpu_seconds(process) for name, process in self.processes.items()}
