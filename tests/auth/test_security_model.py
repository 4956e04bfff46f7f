"""Row-level security and key rotation: the walls behind the API."""

from __future__ import annotations

import jwt
from fastapi import FastAPI
from sqlalchemy import text

from bizosaas.auth.sessions.keys import KeyStore
from bizosaas.core.database import RowScope
from bizosaas.identity.vocabulary import Role
from tests.factories import bearer, client_for, create_tenant, create_user, login

TENANT_TABLES = ("tenants", "users", "user_sessions", "invitations", "audit_log")


async def test_raw_sql_in_one_tenants_scope_sees_nothing_of_another(auth_app: FastAPI):
    acme, globex = await create_tenant(auth_app), await create_tenant(auth_app)
    for tenant in (acme, globex):
        admin = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
        async with client_for(auth_app) as client:
            tokens = await login(client, admin.email)
            await client.post(
                "/api/v1/auth/users",
                headers=bearer(tokens),
                json={"email": f"inv-{tenant.slug}@example.com"},
            )
    database = auth_app.state.runtime.database
    async with database.transaction(RowScope.tenant(acme.id)) as db:
        for table in TENANT_TABLES:
            column = "id" if table == "tenants" else "tenant_id"
            seen = (
                (await db.execute(text(f"SELECT DISTINCT {column} FROM {table}"))).scalars().all()
            )
            assert seen, table  # acme's own rows are there...
            assert set(seen) == {acme.id}, table  # ...and nobody else's
        # Writing into another tenant is refused by the policy's WITH CHECK.
        result = await db.execute(
            text("UPDATE users SET full_name = 'x' WHERE tenant_id = :t"), {"t": globex.id}
        )
        assert result.rowcount == 0
    async with database.transaction() as db:  # no scope declared: no tenant rows at all
        for table in TENANT_TABLES:
            count = (await db.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            assert count == 0, table


async def test_the_service_role_is_not_a_superuser_nor_the_owner(auth_app: FastAPI):
    database = auth_app.state.runtime.database
    async with database.transaction() as db:
        superuser, bypass = (
            await db.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
        owner = (
            await db.execute(
                text("SELECT tableowner = current_user FROM pg_tables WHERE tablename = 'users'")
            )
        ).scalar_one()
    assert (superuser, bypass, owner) == (False, False, False)


async def test_rotated_keys_keep_old_tokens_valid_and_sign_new_ones(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    auth = auth_app.state.auth
    async with client_for(auth_app) as client:
        before = await login(client, user.email)
        old_kid = jwt.get_unverified_header(before["access_token"])["kid"]
        ring = await KeyStore(auth.runtime.secrets).rotate(
            auth.runtime.settings.access_token_ttl_seconds
        )
        auth.signer.use(ring)
        auth.verifier.use_keys(ring.keys)
        after = await login(client, user.email)
        new_kid = jwt.get_unverified_header(after["access_token"])["kid"]
        assert new_kid != old_kid and new_kid == ring.signing_kid
        assert (await client.get("/api/v1/auth/me", headers=bearer(before))).status_code == 200
        assert (await client.get("/api/v1/auth/me", headers=bearer(after))).status_code == 200
        published = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert {old_kid, new_kid} <= published
