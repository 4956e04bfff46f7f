"""EmbeddedPostgres and provisioning, against real servers.

Provisioning runs against the embedded PostgreSQL 18 and, when it answers, the
machine's own PostgreSQL (15 here) on 5432, since the harness accepts either.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from bizosaas.stack import EmbeddedPostgres, free_tcp_port
from bizosaas.stack._process import port_accepts
from bizosaas.stack.provision import drop_database, provision_database, with_credentials

SYSTEM_ADMIN_URL = os.environ.get(
    "BIZOSAAS_TEST_SYSTEM_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg"), free_tcp_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Provisioned:
    admin_url: str
    owner_url: str
    app_url: str


@pytest.fixture(params=["embedded", "system"])
async def provisioned(
    request: pytest.FixtureRequest, postgres: EmbeddedPostgres
) -> AsyncIterator[Provisioned]:
    """A fresh database and role pair, dropped afterwards (roles too, on shared servers)."""
    if request.param == "embedded":
        admin_url = postgres.admin_url
    else:
        if not port_accepts(5432):
            pytest.skip("no system PostgreSQL on 127.0.0.1:5432")
        admin_url = SYSTEM_ADMIN_URL
    run = uuid.uuid4().hex[:8]
    database, owner, app = f"stack_{run}", f"stack_owner_{run}", f"stack_app_{run}"
    try:
        for _ in range(2):  # the second run must be a harmless no-op
            await provision_database(admin_url, database, owner, "owner-pw", app, "app-pw")
        yield Provisioned(
            admin_url,
            with_credentials(admin_url, owner, "owner-pw", database),
            with_credentials(admin_url, app, "app-pw", database),
        )
    finally:
        await drop_database(admin_url, database)
        admin = await asyncpg.connect(admin_url)
        try:
            for role in (app, owner):
                await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await admin.close()


async def test_app_role_reads_and_writes_owner_tables_but_cannot_create(
    provisioned: Provisioned,
) -> None:
    owner = await asyncpg.connect(provisioned.owner_url)
    app = await asyncpg.connect(provisioned.app_url)
    try:
        await owner.execute("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)")
        assert await app.fetchrow(
            "SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole "
            "FROM pg_roles WHERE rolname = current_user"
        ) == (False, False, False, False)

        item_id = await app.fetchval("INSERT INTO items (name) VALUES ('lamp') RETURNING id")
        await app.execute("UPDATE items SET name = 'desk lamp' WHERE id = $1", item_id)
        assert await app.fetchval("SELECT name FROM items WHERE id = $1", item_id) == "desk lamp"
        await app.execute("DELETE FROM items WHERE id = $1", item_id)

        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute("CREATE TABLE intruder (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute("DROP TABLE items")
    finally:
        await app.close()
        await owner.close()


async def test_pgvector_is_installed_where_available(provisioned: Provisioned) -> None:
    admin = await asyncpg.connect(provisioned.admin_url)
    owner = await asyncpg.connect(provisioned.owner_url)
    try:
        available = await admin.fetchval(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'"
        )
        installed = await owner.fetchval(
            "SELECT count(*) FROM pg_extension WHERE extname = 'vector'"
        )
        assert installed == available
    finally:
        await owner.close()
        await admin.close()


async def test_tcp_login_requires_the_password(postgres: EmbeddedPostgres) -> None:
    wrong = with_credentials(postgres.admin_url, "postgres", "not-the-password", "postgres")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(wrong)
    assert (postgres.password_file.stat().st_mode & 0o777) == 0o600


async def test_data_survives_a_restart_and_a_second_start_reuses_the_server(
    postgres: EmbeddedPostgres,
) -> None:
    conn = await asyncpg.connect(postgres.admin_url)
    await conn.execute("CREATE TABLE kept (note text); INSERT INTO kept VALUES ('still here')")
    await conn.close()
    first_pid = postgres.pid

    postgres.stop()
    assert not postgres.is_running()
    postgres.start()
    assert not postgres.reused
    assert postgres.pid != first_pid

    again = EmbeddedPostgres(postgres.data_dir, postgres.port)
    again.start()
    assert again.reused
    assert again.pid == postgres.pid

    conn = await asyncpg.connect(postgres.admin_url)
    try:
        assert await conn.fetchval("SELECT note FROM kept") == "still here"
    finally:
        await conn.close()


async def test_long_data_dir_puts_the_socket_elsewhere(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / ("d" * 100), free_tcp_port())
    try:
        server.start()
        assert server.socket_dir != server.data_dir
        conn = await asyncpg.connect(server.admin_url)
        assert await conn.fetchval("SELECT 1") == 1
        await conn.close()
    finally:
        server.stop()
