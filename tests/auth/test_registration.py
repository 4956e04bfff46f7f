from __future__ import annotations

import re

from fastapi import FastAPI

from tests.factories import PASSWORD, bearer, client_for, create_tenant, create_user, login


def _token_from_last_email(app: FastAPI, to: str) -> str:
    email = app.state.auth.mailer.outbox[-1]
    assert email.to == to
    match = re.search(r"token=([\w.\-]+)", email.body)
    assert match, email.body
    return match.group(1)


async def test_sign_up_joins_only_tenants_that_allow_it_and_verifies_by_email(auth_app: FastAPI):
    open_tenant = await create_tenant(auth_app, self_signup=True)
    closed = await create_tenant(auth_app)
    async with client_for(auth_app) as client:
        refused = await client.post(
            "/api/v1/auth/register",
            json={"email": "newbie@example.com", "password": PASSWORD, "tenant_slug": closed.slug},
        )
        assert refused.status_code == 404
        created = await client.post(
            "/api/v1/auth/register",
            json={
                "email": "Newbie@Example.com",
                "password": PASSWORD,
                "tenant_slug": open_tenant.slug,
                "is_superuser": True,
            },
        )
        assert created.status_code == 201, created.text
        assert created.json()["role"] == "user" and created.json()["is_superuser"] is False
        assert created.json()["is_verified"] is False
        token = _token_from_last_email(auth_app, "newbie@example.com")
        verified = await client.post("/api/v1/auth/verify", json={"token": token})
        assert verified.status_code == 200 and verified.json()["is_verified"] is True
        again = await client.post(
            "/api/v1/auth/register",
            json={
                "email": "newbie@example.com",
                "password": PASSWORD,
                "tenant_slug": open_tenant.slug,
            },
        )
        assert again.status_code == 400
        weak = await client.post(
            "/api/v1/auth/register",
            json={
                "email": "weak@example.com",
                "password": "12345678",
                "tenant_slug": open_tenant.slug,
            },
        )
        assert weak.status_code == 400


async def test_password_reset_sets_a_new_password_and_ends_old_sessions(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    new_password = "Copper-Kettle-Orchard-77"
    async with client_for(auth_app) as client:
        old_tokens = await login(client, user.email)
        asked = await client.post("/api/v1/auth/forgot-password", json={"email": user.email})
        assert asked.status_code == 202
        token = _token_from_last_email(auth_app, user.email)
        reset = await client.post(
            "/api/v1/auth/reset-password", json={"token": token, "password": new_password}
        )
        assert reset.status_code == 200
        assert (await client.get("/api/v1/auth/me", headers=bearer(old_tokens))).status_code == 401
        old = await client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
        )
        assert old.status_code == 401
        assert (await login(client, user.email, new_password))["user"]["email"] == user.email
        reused = await client.post(
            "/api/v1/auth/reset-password", json={"token": token, "password": PASSWORD}
        )
        assert reused.status_code == 400
        unknown = await client.post(
            "/api/v1/auth/forgot-password", json={"email": "ghost@example.com"}
        )
        assert unknown.status_code == 202  # no hint whether the address exists
