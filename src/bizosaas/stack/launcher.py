"""The whole local platform stack: PostgreSQL, Valkey, OpenBao and Temporal.

`bizosaas up` and the test harness share this. The servers are daemons tied
to a data dir, not to the process that started them: a second `bizosaas up`
on the same data dir finds them through their pid files and reuses them, and
every process stops only the servers it started itself. Layout::

    <data_dir>/postgres, valkey, openbao, temporal   one dir per server
    <data_dir>/logs/<server>.log
    <data_dir>/secrets.json                          database role passwords (0600)
    <data_dir>/ports.json                            the servers' ports, chosen on first start
"""

from __future__ import annotations

import atexit
import dataclasses
import fcntl
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Literal, Protocol

from sqlalchemy.engine import make_url

from bizosaas.stack._process import (
    free_tcp_port,
    port_is_free,
    private_dir,
    read_json,
    write_private_json,
)
from bizosaas.stack.openbao import EmbeddedOpenBao
from bizosaas.stack.postgres import EmbeddedPostgres
from bizosaas.stack.provision import provision_database, with_credentials
from bizosaas.stack.temporal import EmbeddedTemporal
from bizosaas.stack.valkey import EmbeddedValkey

OWNER_ROLE = "bizosaas_owner"
PORTS_FILE = "ports.json"
APP_ROLE = "bizosaas_app"

ProgressCallback = Callable[[str], None]
_SignalHandler = Callable[[int, FrameType | None], object] | int | None


class ManagedServer(Protocol):
    """What the launcher needs from each embedded server."""

    reused: bool

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def is_running(self) -> bool: ...


@dataclass(frozen=True)
class StackPorts:
    """Loopback ports of the stack; the defaults stay clear of system servers."""

    postgres: int = 55432
    redis: int = 56379
    vault: int = 58200
    temporal: int = 57233
    temporal_ui: int = 58233

    @classmethod
    def of_data_dir(cls, data_dir: Path) -> StackPorts:
        """The ports recorded in ``ports.json``; for a new data dir, each default port that
        is free, or else one the OS picks, so a second platform can run beside the first.
        :meth:`LocalStack.start` records them, and every later command reuses them."""
        recorded = data_dir / PORTS_FILE
        if recorded.exists():
            known = {f.name for f in dataclasses.fields(cls)}
            return cls(**{k: int(v) for k, v in read_json(recorded).items() if k in known})
        if (data_dir / "postgres").exists():
            return cls()  # made before ports were recorded: always the defaults
        taken: set[int] = set()
        chosen: dict[str, int] = {}
        for field in dataclasses.fields(cls):
            port = field.default if isinstance(field.default, int) else 0
            if port in taken or not port_is_free(port):
                port = free_tcp_port()
                while port in taken:
                    port = free_tcp_port()
            taken.add(port)
            chosen[field.name] = port
        return cls(**chosen)

    @classmethod
    def ephemeral(cls) -> StackPorts:
        """Free ports picked by the OS, for tests that run next to a real stack."""
        ports: set[int] = set()
        while len(ports) < 5:
            ports.add(free_tcp_port())
        postgres, redis, vault, temporal, temporal_ui = sorted(ports)
        return cls(postgres, redis, vault, temporal, temporal_ui)


@dataclass(frozen=True)
class StackUrls:
    """Where a running stack answers, and the credentials to talk to it."""

    admin_url: str
    redis_url: str
    vault_addr: str
    vault_token: str
    temporal_address: str


class LocalStack:
    """Starts, reuses and stops the four servers of one data dir."""

    def __init__(self, data_dir: Path, ports: StackPorts | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.ports = ports or StackPorts.of_data_dir(self.data_dir)
        logs = self.data_dir / "logs"
        self.postgres = EmbeddedPostgres(
            self.data_dir / "postgres", self.ports.postgres, log_file=logs / "postgres.log"
        )
        self.valkey = EmbeddedValkey(
            self.data_dir / "valkey", self.ports.redis, log_file=logs / "valkey.log"
        )
        self.openbao = EmbeddedOpenBao(
            self.data_dir / "openbao", self.ports.vault, log_file=logs / "openbao.log"
        )
        self.temporal = EmbeddedTemporal(
            self.data_dir / "temporal",
            self.ports.temporal,
            self.ports.temporal_ui,
            log_file=logs / "temporal.log",
        )
        self.secrets_file = self.data_dir / "secrets.json"
        self._started: list[ManagedServer] = []
        self._previous_sigterm: _SignalHandler = None
        self._sigterm_hooked = False

    def servers(self) -> list[tuple[str, ManagedServer]]:
        """In start order: Temporal and the app need the others up first."""
        return [
            ("postgres", self.postgres),
            ("valkey", self.valkey),
            ("openbao", self.openbao),
            ("temporal", self.temporal),
        ]

    def start(self, progress_callback: ProgressCallback | None = None) -> StackUrls:
        """Start (or reuse) every server; on failure stop what this call started."""
        report = progress_callback or (lambda _message: None)
        # 0711: the PostgreSQL account must pass through to its own dir.
        private_dir(self.data_dir, 0o711)
        private_dir(self.data_dir / "logs", 0o711)
        with _exclusive(self.data_dir / ".start.lock"):
            self._ensure_role_passwords()
            write_private_json(self.data_dir / PORTS_FILE, dataclasses.asdict(self.ports))
            try:
                for name, server in self.servers():
                    report(f"starting {name}")
                    began = time.monotonic()
                    server.start()
                    if server.reused:
                        report(f"{name}: already running, reused")
                    else:
                        self._started.append(server)
                        report(f"{name}: ready in {time.monotonic() - began:.1f}s")
            except BaseException:
                self.stop()
                raise
        if self._started:
            self._stop_on_exit()
        return self.urls()

    def stop(self) -> None:
        """Stop, in reverse order, only the servers this instance started."""
        atexit.unregister(self.stop)
        self._restore_sigterm()
        failures: list[Exception] = []
        while self._started:
            try:
                self._started.pop().stop()
            except Exception as exc:  # one stuck server must not keep the others up
                failures.append(exc)
        if failures:
            raise failures[0]

    def stop_all(self) -> None:
        """Stop every server of this data dir, whoever started it (`bizosaas down`)."""
        self._started.clear()
        self.stop()
        for _name, server in reversed(self.servers()):
            server.stop()

    def urls(self) -> StackUrls:
        """Endpoints and admin credentials of the stack."""
        return StackUrls(
            admin_url=self.postgres.admin_url,
            redis_url=self.valkey.url,
            vault_addr=self.openbao.addr,
            vault_token=self.openbao.token,
            temporal_address=self.temporal.address,
        )

    def database_url(
        self,
        database: str,
        *,
        role: Literal["app", "owner"] = "app",
        driver: str = "postgresql+asyncpg",
    ) -> str:
        """SQLAlchemy URL for `database` as the app role (or the owner, for migrations)."""
        passwords = self._ensure_role_passwords()
        user = APP_ROLE if role == "app" else OWNER_ROLE
        url = with_credentials(self.postgres.admin_url, user, passwords[user], database)
        return make_url(url).set(drivername=driver).render_as_string(hide_password=False)

    async def provision(self, databases: list[str]) -> None:
        """Create each database with the owner and app roles (idempotent)."""
        passwords = self._ensure_role_passwords()
        for database in databases:
            await provision_database(
                self.postgres.admin_url,
                database,
                OWNER_ROLE,
                passwords[OWNER_ROLE],
                APP_ROLE,
                passwords[APP_ROLE],
            )

    # -- internals -------------------------------------------------------

    def _ensure_role_passwords(self) -> dict[str, str]:
        """Role passwords, generated once and kept in secrets.json (0600)."""
        stored = read_json(self.secrets_file) if self.secrets_file.exists() else {}
        passwords = {role: str(stored[role]) for role in (OWNER_ROLE, APP_ROLE) if role in stored}
        if len(passwords) < 2:
            for role in (OWNER_ROLE, APP_ROLE):
                passwords.setdefault(role, secrets.token_urlsafe(32))
            write_private_json(self.secrets_file, {**stored, **passwords})
        return passwords

    def _stop_on_exit(self) -> None:
        """Stop our servers at interpreter exit (Ctrl-C included) and on SIGTERM."""
        atexit.register(self.stop)
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGTERM)
        if previous == signal.SIG_IGN or self._sigterm_hooked:
            return
        self._previous_sigterm = previous
        signal.signal(signal.SIGTERM, self._on_sigterm)
        self._sigterm_hooked = True

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        previous = self._previous_sigterm
        self.stop()  # also puts the previous handler back
        if callable(previous):
            previous(signum, frame)
        else:
            signal.raise_signal(signum)  # die the way SIGTERM normally would

    def _restore_sigterm(self) -> None:
        if not self._sigterm_hooked or threading.current_thread() is not threading.main_thread():
            return
        previous = self._previous_sigterm
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        self._sigterm_hooked = False


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Serialise concurrent `bizosaas up` runs on one data dir."""
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
