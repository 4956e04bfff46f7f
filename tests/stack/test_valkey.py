"""EmbeddedValkey keeps its data across restarts."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import redis

from bizosaas.stack import EmbeddedValkey, StackError, free_tcp_port
from bizosaas.stack._process import port_accepts


def test_a_key_survives_a_restart(tmp_path: Path) -> None:
    server = EmbeddedValkey(tmp_path / "valkey", free_tcp_port())
    try:
        server.start()
        with redis.Redis.from_url(server.url) as client:
            client.set("greeting", "hello")

        server.stop()
        assert not server.is_running()
        assert not port_accepts(server.port)

        server.start()
        assert not server.reused
        with redis.Redis.from_url(server.url) as client:
            assert client.get("greeting") == b"hello"
    finally:
        server.stop()


def test_a_second_start_reuses_the_running_server(tmp_path: Path) -> None:
    server = EmbeddedValkey(tmp_path / "valkey", free_tcp_port())
    try:
        server.start()
        again = EmbeddedValkey(server.data_dir, server.port)
        again.start()
        assert again.reused
        assert again.pid == server.pid
    finally:
        server.stop()


def test_a_taken_port_is_reported_clearly(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        server = EmbeddedValkey(tmp_path / "valkey", squatter.getsockname()[1])
        with pytest.raises(StackError, match="already in use"):
            server.start()
    assert not server.is_running()
