"""The auth service in its own uvicorn process, and where the CPU time of a run goes."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson
import psutil

from bench._harness import HAS_HTTPTOOLS, HAS_UVLOOP, LOOPBACK, REPO, progress
from bizosaas.core.settings import Settings
from bizosaas.stack import free_tcp_port


@dataclass
class Memory:
    rss_mb: float
    peak_mb: float  # VmHWM: the high-water mark since the process started


def _cpu_seconds(root: psutil.Process, *, with_children: bool) -> float:
    """CPU time of a process, plus (when asked) its live and already reaped children."""
    try:
        times = root.cpu_times()
    except psutil.Error:
        return 0.0
    total = float(times.user + times.system)
    if not with_children:
        return total
    total += float(times.children_user + times.children_system)
    with contextlib.suppress(psutil.Error):
        for child in root.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child_times = child.cpu_times()
                total += float(child_times.user + child_times.system)
    return total


def _peak_rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    return math.nan


class AuthService:
    """A service's uvicorn factory (the auth service by default) on a free loopback port."""

    def __init__(
        self,
        settings: Settings,
        *,
        workers: int,
        log_file: Path,
        factory: str = "bench.auth_server:create_app",
        name: str = "auth service",
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.name = name
        self.workers = workers
        self.log_file = log_file
        self.port = free_tcp_port()
        self.base_url = f"http://{LOOPBACK}:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._known: dict[int, psutil.Process] = {}

    def _environment(self) -> dict[str, str]:
        # Only our settings: stray DATABASE_URL-style variables would take precedence.
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("BIZOSAAS_")
            and name not in ("DATABASE_URL", "REDIS_URL", "VAULT_ADDR", "VAULT_TOKEN")
        }
        for name, value in self.settings.model_dump(mode="json").items():
            if value is not None:  # lists and the like as JSON, as pydantic-settings reads them
                encoded = value if isinstance(value, str) else orjson.dumps(value).decode()
                env[f"BIZOSAAS_{name.upper()}"] = encoded
        return env

    def start(self) -> None:
        argv = [
            sys.executable,
            *("-m", "uvicorn", "--factory", self.factory),
            *("--app-dir", str(REPO), "--host", LOOPBACK, "--port", str(self.port)),
            *("--workers", str(self.workers), "--lifespan", "on"),
            *("--loop", "uvloop" if HAS_UVLOOP else "asyncio"),
            *("--http", "httptools" if HAS_HTTPTOOLS else "h11"),
            *("--log-level", "warning", "--no-access-log"),
        ]
        progress(f"starting the {self.name} on port {self.port} ({self.workers} worker(s))")
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                argv,
                cwd=REPO,
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    async def wait_ready(self, http: aiohttp.ClientSession, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                break
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get("/ready") as response:
                    await response.read()
                    if response.status == 200:
                        self.processes()  # remember the workers, to stop them by pid
                        return
            await asyncio.sleep(0.2)
        tail = self.log_file.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the {self.name} did not become ready:\n{tail}")

    def processes(self) -> list[psutil.Process]:
        """The uvicorn process and its workers (when there are several)."""
        if self._proc is None:
            return []
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self._proc.pid)
            found = [root, *root.children(recursive=True)]
            self._known.update((p.pid, p) for p in found)
            return found
        return []

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(p, with_children=False) for p in self.processes())

    def memory(self) -> Memory:
        # One process, or a supervisor plus its workers: what the service costs in all.
        processes = self.processes()
        rss = sum(p.memory_info().rss for p in processes) / 2**20
        return Memory(rss, sum(_peak_rss_mb(p.pid) for p in processes))

    def stop(self) -> None:
        if self._proc is None:
            return
        self.processes()
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        for process in self._known.values():  # workers orphaned by a killed supervisor
            with contextlib.suppress(psutil.Error):
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    process.kill()
        self._proc = None


def _machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


class CpuMeter:
    """CPU seconds of this client, the service, the servers started here and everything else.

    "other" is what the rest of the machine did meanwhile: when it is not near zero,
    something outside the benchmark competed for the cores and the figures suffer.
    """

    COMPONENTS = ("client", "auth", "postgres", "valkey", "other")

    def __init__(self, server_pids: dict[str, int]) -> None:
        me = psutil.Process()
        # The client's own time only: its children are the servers, counted apart.
        self.sources: dict[str, Callable[[], float]] = {
            "client": lambda: _cpu_seconds(me, with_children=False)
        }
        for name, pid in server_pids.items():
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(pid)
                self.sources[name] = functools.partial(_cpu_seconds, process, with_children=True)

    def watch_service(self, service: AuthService) -> None:
        self.sources["auth"] = service.cpu_seconds

    def snapshot(self) -> dict[str, float]:
        totals = {name: source() for name, source in self.sources.items()}
        totals["machine"] = _machine_busy_seconds()
        return totals

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        spent = {name: after[name] - before[name] for name in before if name != "machine"}
        machine = after["machine"] - before["machine"]
        spent["other"] = max(0.0, machine - sum(spent.values()))
        return spent


@contextlib.contextmanager
def profiling(service: AuthService, out: Path | None, seconds: float) -> Iterator[None]:
    """py-spy on the service while the block runs (its own CPU cost skews the figures)."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if out is None or not Path(py_spy).exists():
        if out is not None:
            progress("py-spy is not installed: no profile")
        yield
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [py_spy, "record", "--pid", str(service.processes()[0].pid)]
    argv += ["--duration", str(math.ceil(seconds)), "--rate", "200", "--format", "raw"]
    argv += ["--subprocesses", "--nonblocking", "-o", str(out)]
    spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes what it has sampled so far
        try:
            spy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait(timeout=5)
