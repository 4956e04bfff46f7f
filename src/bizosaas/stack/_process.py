"""Process plumbing shared by the embedded servers.

Every server here is a real daemon that outlives a single Python call, so the
helpers below work from pid files and TCP probes rather than from `Popen`
handles: a second `bizosaas up` must be able to find, reuse and stop a server
that a previous process started.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil

LOOPBACK = "127.0.0.1"


class StackError(RuntimeError):
    """A local server could not be started, reached or stopped."""


def port_is_free(port: int) -> bool:
    """Whether nothing listens on the loopback ``port`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def free_tcp_port() -> int:
    """Return a loopback port that nothing listens on right now.

    The port is released before returning, so another process may take it;
    good enough for tests and for picking ephemeral stack ports.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_accepts(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    """True when a TCP connection to host:port succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_port_free(port: int, what: str) -> None:
    """Fail fast and clearly when another program already holds our port."""
    if port_accepts(port):
        raise StackError(f"cannot start {what}: 127.0.0.1:{port} is already in use")


def wait_until(
    ready: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    log_file: Path | None = None,
    alive: Callable[[], bool] | None = None,
    interval: float = 0.1,
) -> None:
    """Poll `ready` until it holds; fail fast if the server process died.

    The error carries the tail of the server log because "timed out" alone
    never tells anyone why a database refused to come up.
    """
    deadline = time.monotonic() + timeout
    while True:
        if ready():
            return
        if alive is not None and not alive():
            raise StackError(f"{what} exited during startup{describe_log(log_file)}")
        if time.monotonic() >= deadline:
            raise StackError(f"{what} not ready after {timeout:.0f}s{describe_log(log_file)}")
        time.sleep(interval)


def log_tail(path: Path, lines: int = 30) -> str:
    """Last lines of a log file, or an empty string if there is none yet."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def describe_log(path: Path | None) -> str:
    """Format a log tail for an error message."""
    if path is None:
        return ""
    tail = log_tail(path)
    return f"\n--- last lines of {path} ---\n{tail}" if tail else f" (log {path} is empty)"


def read_pid(pid_file: Path) -> int | None:
    """Pid recorded in a pid file, or None if missing or unreadable."""
    try:
        first = pid_file.read_text().split(maxsplit=1)[0]
        return int(first)
    except (OSError, ValueError, IndexError):
        return None


def live_process(pid_file: Path, name_fragment: str) -> psutil.Process | None:
    """The process a pid file points at, if it is still ours.

    Pids are recycled, so a live pid only counts when the executable name
    matches; otherwise a stale file could make us adopt or signal a stranger.
    """
    pid = read_pid(pid_file)
    if pid is None:
        return None
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE or name_fragment not in proc.name():
            return None
        return proc
    except psutil.Error:
        return None


def _gone(proc: psutil.Process) -> bool:
    """Exited, counting a zombie as exited.

    A daemon's parent is pid 1, which may reap only every few seconds (it does
    in our containers), so waiting for the pid to vanish would add seconds.
    """
    try:
        return bool(proc.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def terminate(proc: psutil.Process, *, timeout: float = 15.0) -> None:
    """SIGTERM a server (all of them shut down gracefully on it), then SIGKILL."""
    for send, grace in ((proc.terminate, timeout), (proc.kill, 5.0)):
        with contextlib.suppress(psutil.NoSuchProcess):
            send()
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if _gone(proc):
                return
            time.sleep(0.05)
    raise StackError(f"process {proc.pid} survived SIGKILL")


def private_dir(path: Path, mode: int = 0o700) -> Path:
    """Create a directory only its owner can enter (and tighten an existing one)."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    return path


def write_private_json(path: Path, data: dict[str, Any]) -> None:
    """Write secrets atomically with mode 0600 from the first byte on."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    tmp.chmod(0o600)
    tmp.replace(path)


def read_json(path: Path) -> dict[str, Any]:
    """Load a JSON object written by `write_private_json`."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise StackError(f"{path} does not hold a JSON object")
    return data


@contextlib.contextmanager
def open_log(path: Path) -> Iterator[int]:
    """Append-mode log file descriptor for a daemon's stdout and stderr."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        yield fd
    finally:
        os.close(fd)


def spawn(
    argv: list[str], *, log_file: Path, pid_file: Path, cwd: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """Start a foreground-only server as a detached daemon and record its pid.

    A new session keeps the terminal's Ctrl-C away from it, so the launcher
    can stop the servers itself, in order; the pid file lets a later process
    find it again.
    """
    with open_log(log_file) as log_fd:
        proc = subprocess.Popen(  # noqa: S603 - argv built by the callers from fixed parts
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log_fd,
            stderr=log_fd,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    pid_file.write_text(f"{proc.pid}\n")
    return proc
