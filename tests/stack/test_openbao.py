"""EmbeddedOpenBao: initialised once, unsealed from init.json on every start."""

from __future__ import annotations

import stat
from pathlib import Path

import hvac.exceptions
import pytest

from bizosaas.stack import EmbeddedOpenBao, StackError, free_tcp_port


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_secret_survives_a_restart_and_unseal(tmp_path: Path) -> None:
    server = EmbeddedOpenBao(tmp_path / "openbao", free_tcp_port())
    try:
        server.start()
        server.client().secrets.kv.v2.create_or_update_secret(
            path="billing", secret={"api_key": "sk-local"}
        )
        token = server.token

        server.stop()
        assert not server.is_running()
        server.start()

        assert not server.reused
        assert server.token == token
        read = server.client().secrets.kv.v2.read_secret_version(
            path="billing", raise_on_deleted_version=True
        )
        assert read["data"]["data"] == {"api_key": "sk-local"}
        assert _mode(server.init_file) == 0o600
        assert _mode(server.data_dir) == 0o700
    finally:
        server.stop()


def test_a_lost_unseal_key_is_reported_not_overwritten(tmp_path: Path) -> None:
    server = EmbeddedOpenBao(tmp_path / "openbao", free_tcp_port())
    try:
        server.start()
        server.stop()
        server.init_file.unlink()
        with pytest.raises(StackError, match=r"init\.json is missing"):
            server.start()
    finally:
        server.stop()


def test_dev_mode_serves_kv_and_rejects_other_tokens(tmp_path: Path) -> None:
    server = EmbeddedOpenBao(tmp_path / "openbao", free_tcp_port(), dev=True)
    try:
        server.start()
        client = server.client()
        client.secrets.kv.v2.create_or_update_secret(path="x", secret={"k": "v"})
        assert client.secrets.kv.v2.read_secret_version(path="x", raise_on_deleted_version=True)[
            "data"
        ]["data"] == {"k": "v"}
        stranger = hvac.Client(url=server.addr, token="not-a-token")
        with pytest.raises(hvac.exceptions.Forbidden):
            stranger.secrets.kv.v2.read_secret_version(path="x", raise_on_deleted_version=True)
    finally:
        server.stop()
