from __future__ import annotations

import asyncio

from fastapi import FastAPI

from bizosaas.identity.vocabulary import Role
from tests.factories import PASSWORD, bearer, client_for, create_tenant, create_user, login


async def _fail(client, email: str, times: int) -> list[int]:
    codes = []
    for _ in range(times):
        response = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": "Wrong-Guess-Password-1"}
        )
        codes.append(response.status_code)
    return codes


async def test_failures_lead_to_a_growing_lockout_that_lifts(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    redis = auth_app.state.runtime.redis
    keys = auth_app.state.runtime.keys
    async with client_for(auth_app, ip="10.9.9.9") as client:
        assert await _fail(client, user.email, 5) == [401] * 5
        assert await _fail(client, user.email, 1) == [401]  # the 6th failure starts a lock
        locked = await client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
        )
        assert locked.status_code == 429
        assert locked.json()["error"] == "AccountLocked"
        assert int(locked.headers["retry-after"]) >= 1
        # The lock is temporary: once it expires the right password works again.
        for key in await redis.keys(keys.group("login", "*").removesuffix("}") + "*:lock-pair:*"):
            await redis.pexpire(key, 1)

        await asyncio.sleep(0.05)
        assert (await login(client, user.email))["user"]["email"] == user.email


async def test_an_attacker_elsewhere_cannot_lock_the_owner_out(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    settings = auth_app.state.runtime.settings
    async with client_for(auth_app, ip="10.1.1.1") as owner:
        await login(owner, user.email)  # the owner's address becomes known
        for n in range(settings.login_account_limit):
            async with client_for(auth_app, ip=f"10.2.{n}.1") as attacker:
                await _fail(attacker, user.email, 1)
        async with client_for(auth_app, ip="10.3.3.3") as stranger:
            response = await stranger.post(
                "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
            )
            assert response.status_code == 429  # the account is locked for new places
        assert (await login(owner, user.email))["user"]["email"] == user.email


async def test_audit_log_records_failures_lockouts_and_logins(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    admin = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        await _fail(client, user.email, 6)
        tokens = await login(client, admin.email)
        events = (await client.get("/api/v1/auth/audit", headers=bearer(tokens))).json()["events"]
    kinds = [e["event"] for e in events if e["subject_id"] == str(user.id)]
    assert kinds.count("login_failure") == 6
    assert "lockout" in kinds
    assert any(e["event"] == "login_success" and e["subject_id"] == str(admin.id) for e in events)
    assert all(e["tenant_id"] == str(tenant.id) for e in events)


async def test_cookie_requests_that_change_state_need_the_csrf_token(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        tokens = await login(client, user.email)  # the client now holds the cookies
        forged = await client.post("/api/v1/auth/logout")
        assert forged.status_code == 403
        assert forged.json()["detail"] == "Missing or invalid CSRF token."
        assert (await client.get("/api/v1/auth/me")).status_code == 200  # still signed in
        wrong = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "x" * 43})
        assert wrong.status_code == 403
        ok = await client.post(
            "/api/v1/auth/logout", headers={"X-CSRF-Token": tokens["csrf_token"]}
        )
        assert ok.status_code == 204
        assert (await client.get("/api/v1/auth/me", headers=bearer(tokens))).status_code == 401


async def test_a_csrf_token_is_bound_to_its_session(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as attacker_session, client_for(auth_app) as victim:
        attacker_tokens = await login(attacker_session, user.email)
        await login(victim, user.email)
        response = await victim.post(
            "/api/v1/auth/logout", headers={"X-CSRF-Token": attacker_tokens["csrf_token"]}
        )
    assert response.status_code == 403


async def test_weak_passwords_are_refused(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    admin = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
    async with client_for(auth_app) as client:
        tokens = await login(client, admin.email)
        for weak in ("short1!", "password1234", "a" * 200, "qwertyuiop123"):
            response = await client.post(
                "/api/v1/auth/users",
                headers=bearer(tokens),
                json={"email": "weak@example.com", "password": weak},
            )
            assert response.status_code == 400, weak
        long_and_fine = "Tangerine lighthouse " * 3  # 63 characters: never truncated
        created = await client.post(
            "/api/v1/auth/users",
            headers=bearer(tokens),
            json={"email": "strong@example.com", "password": long_and_fine},
        )
        assert created.status_code == 201
        assert (await login(client, "strong@example.com", long_and_fine))["user"]["role"] == "user"
        refused = await client.post(
            "/api/v1/auth/login",
            json={"email": "strong@example.com", "password": long_and_fine[:-1]},
        )
        assert refused.status_code == 401


async def test_throttles_count_the_real_visitor_behind_a_trusted_proxy(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app, ip="127.0.0.1") as login_screen:
        for _ in range(6):
            await login_screen.post(
                "/api/v1/auth/login",
                json={"email": user.email, "password": "Wrong-Guess-Password-1"},
                headers={"X-Forwarded-For": "198.51.100.20"},
            )
        # The visitor is locked out; another visitor through the same proxy is not.
        locked = await login_screen.post(
            "/api/v1/auth/login",
            json={"email": user.email, "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.20"},
        )
        other = await login_screen.post(
            "/api/v1/auth/login",
            json={"email": user.email, "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.21"},
        )
    assert locked.status_code == 429
    assert other.status_code == 200
    async with client_for(auth_app, ip="203.0.113.50") as outsider:
        # An untrusted client cannot pick its IP by writing the header itself.
        spoofed = await outsider.post(
            "/api/v1/auth/login",
            json={"email": user.email, "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.21"},
        )
    assert spoofed.status_code == 200
    assert spoofed.json()["user"]["email"] == user.email
