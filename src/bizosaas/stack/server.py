"""What every local server shares: one data dir, start or adopt, never half-started.

A server runs as a daemon that outlives the process that started it, so a later
`bizosaas up` adopts it when it still matches the wanted settings, and restarts it
on them otherwise. A subclass says how to launch it, how to tell that the running
one matches, and when it is ready.
"""

from __future__ import annotations

import os
import subprocess
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar, TypedDict

from bizosaas.stack._process import (
    ensure_port_free,
    live_process,
    private_dir,
    spawn,
    terminate,
)


class ServerOptions(TypedDict, total=False):
    log_file: Path | None
    start_timeout: float | None


class EmbeddedServer(ABC):
    """One local server of the stack on 127.0.0.1:`port`, its files under `data_dir`."""

    label: ClassVar[str]  # for messages: "Valkey"
    process_name: ClassVar[str]  # the executable's name, to recognise our pid
    stop_timeout: ClassVar[float] = 30.0
    start_timeout: float = 30.0  # the default of each kind; an instance may be given its own

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        log_file: Path | None = None,
        start_timeout: float | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        if start_timeout is not None:
            self.start_timeout = start_timeout
        self.pid_file = self._pid_path()
        self.log_file = (
            log_file.resolve() if log_file else self.data_dir / f"{self.process_name}.log"
        )
        # True when start() found this server already running and adopted it.
        self.reused = False
        self._proc: subprocess.Popen[bytes] | None = None

    def _pid_path(self) -> Path:
        return self.data_dir / f"{self.process_name}.pid"

    @property
    def pid(self) -> int | None:
        """Server pid when it is running."""
        proc = live_process(self.pid_file, self.process_name)
        return proc.pid if proc else None

    def is_running(self) -> bool:
        """True when the server of this data dir is alive."""
        return self.pid is not None

    def start(self) -> None:
        """Start (or adopt) the server and wait until it is ready."""
        self._prepare()
        if self.is_running():
            if self._running_matches():
                self.reused = True
                self._wait_ready()
                return
            self.stop()  # left over from a run with other settings: restart it on ours
        self.reused = False
        ensure_port_free(self.port, self.label)
        self._launch()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()  # never leave a half-started server behind
            raise

    def stop(self) -> None:
        """SIGTERM by pid (each server flushes its data on it), then reap our child."""
        proc = live_process(self.pid_file, self.process_name)
        if proc is not None:
            terminate(proc, timeout=self.stop_timeout)
        if self._proc is not None:
            self._proc.wait()
            self._proc = None
        self.pid_file.unlink(missing_ok=True)

    def _prepare(self) -> None:
        private_dir(self.data_dir)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)

    def _launch(self) -> None:
        self._proc = spawn(
            self._argv(),
            log_file=self.log_file,
            pid_file=self.pid_file,
            cwd=self.data_dir,
            env=self._env(),
        )

    def _env(self) -> dict[str, str]:
        return dict(os.environ)

    @abstractmethod
    def _argv(self) -> list[str]:
        """The command line that runs the server in the foreground."""

    @abstractmethod
    def _running_matches(self) -> bool:
        """Whether the live server runs with the settings wanted now."""

    @abstractmethod
    def _wait_ready(self) -> None:
        """Block until the server serves requests (raise StackError after start_timeout)."""
