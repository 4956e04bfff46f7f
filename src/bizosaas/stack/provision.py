"""Create a database with the two roles the platform runs under.

The owner role runs migrations and owns every table; the app role serves
requests and may only read and write rows. Neither is superuser nor may bypass
row-level security, so tenant policies hold even against application bugs.
Everything is idempotent: `bizosaas up` provisions on every start.

Works on any PostgreSQL from 15 on (the embedded 18 and a system server alike).
"""

from __future__ import annotations

import contextlib
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

_ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"


def with_credentials(url: str, user: str, password: str, database: str) -> str:
    """`url` with another user, password and database (driver and host kept)."""
    return (
        make_url(url)
        .set(username=user, password=password, database=database)
        .render_as_string(hide_password=False)
    )


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    """asyncpg wants a plain `postgresql://` URL, not SQLAlchemy's `+asyncpg` form."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _ddl(conn: Any, template: str, *values: str) -> None:
    """Run DDL built by the server's `format()` (%I identifiers, %L literals).

    DDL takes no bind parameters; letting PostgreSQL quote the names and
    passwords is the one way that cannot be got wrong.
    """
    statement = await conn.fetchval("SELECT format($1, VARIADIC $2::text[])", template, values)
    await conn.execute(statement)


async def _ensure_role(conn: Any, role: str, password: str) -> None:
    """Create the role, or bring an existing one back to the expected attributes."""
    if role == await conn.fetchval("SELECT current_user"):
        raise ValueError(f"refusing to turn the connected superuser {role!r} into an app role")
    if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        try:
            await _ddl(conn, f"CREATE ROLE %I {_ROLE_ATTRIBUTES} PASSWORD %L", role, password)
            return
        except asyncpg.DuplicateObjectError:
            pass  # created concurrently by another provisioner: fall through
    await _ddl(conn, f"ALTER ROLE %I WITH {_ROLE_ATTRIBUTES} PASSWORD %L", role, password)


async def _ensure_database(conn: Any, database: str, owner_role: str, app_role: str) -> None:
    if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
        # Another provisioner may win the race; the ALTER below still applies.
        with contextlib.suppress(asyncpg.DuplicateDatabaseError):
            await _ddl(conn, "CREATE DATABASE %I OWNER %I", database, owner_role)
    await _ddl(conn, "ALTER DATABASE %I OWNER TO %I", database, owner_role)
    # Only our roles connect; other logins on a shared server stay out.
    await _ddl(conn, "REVOKE ALL ON DATABASE %I FROM PUBLIC", database)
    await _ddl(conn, "GRANT CONNECT ON DATABASE %I TO %I", database, app_role)


async def _harden_schema(conn: Any, owner_role: str, app_role: str) -> None:
    """Inside the database: owner creates, app only reads and writes rows."""
    await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    # Explicit, because before PostgreSQL 15 `public` is not owned by the database owner.
    await _ddl(conn, "GRANT USAGE, CREATE ON SCHEMA public TO %I", owner_role)
    await _ddl(conn, "GRANT USAGE ON SCHEMA public TO %I", app_role)
    await _ddl(
        conn,
        "ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I",
        owner_role,
        app_role,
    )
    await _ddl(
        conn,
        "ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public "
        "GRANT USAGE, SELECT ON SEQUENCES TO %I",
        owner_role,
        app_role,
    )
    # Tables that existed before the defaults were set (re-provisioning an old database).
    await _ddl(
        conn, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I", app_role
    )
    await _ddl(conn, "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I", app_role)
    if await conn.fetchval("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"):
        await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")


async def provision_database(
    admin_url: str,
    database: str,
    owner_role: str,
    owner_password: str,
    app_role: str,
    app_password: str,
) -> None:
    """Create or repair `database`, its owner and app roles; idempotent.

    `admin_url` must be a superuser: creating roles, databases and extensions
    needs it. pgvector is installed when the server has it available.
    """
    conn = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        await _ensure_role(conn, owner_role, owner_password)
        await _ensure_role(conn, app_role, app_password)
        await _ensure_database(conn, database, owner_role, app_role)
    finally:
        await conn.close()

    conn = await asyncpg.connect(_asyncpg_dsn(admin_url, database))
    try:
        async with conn.transaction():
            await _harden_schema(conn, owner_role, app_role)
    finally:
        await conn.close()


async def drop_database(admin_url: str, database: str) -> None:
    """Drop `database` even while clients are connected (tests clean up with it)."""
    conn = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        await _ddl(conn, "DROP DATABASE IF EXISTS %I WITH (FORCE)", database)
    finally:
        await conn.close()
