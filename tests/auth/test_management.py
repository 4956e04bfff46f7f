from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from fastapi import FastAPI

from bizosaas.identity.vocabulary import Role
from tests.factories import PASSWORD, bearer, client_for, create_tenant, create_user, login


async def test_tenant_admins_never_see_another_tenants_users(auth_app: FastAPI):
    acme, globex = await create_tenant(auth_app), await create_tenant(auth_app)
    acme_admin = await create_user(auth_app, acme, Role.TENANT_ADMIN)
    acme_user = await create_user(auth_app, acme)
    globex_user = await create_user(auth_app, globex)
    async with client_for(auth_app) as client:
        tokens = await login(client, acme_admin.email)
        listed = (await client.get("/api/v1/auth/users", headers=bearer(tokens))).json()["users"]
        assert {u["id"] for u in listed} == {str(acme_admin.id), str(acme_user.id)}
        path = f"/api/v1/auth/users/{globex_user.id}"
        for method, body in (("GET", None), ("PATCH", {"full_name": "Hijacked"}), ("DELETE", None)):
            response = await client.request(method, path, headers=bearer(tokens), json=body)
            assert response.status_code == 404, method
        foreign_tenant = await client.get(
            f"/api/v1/auth/tenants/{globex.id}", headers=bearer(tokens)
        )
        assert foreign_tenant.status_code == 404
        own = await client.get(f"/api/v1/auth/tenants/{acme.id}", headers=bearer(tokens))
        assert own.status_code == 200
    async with client_for(auth_app) as client:
        still = await login(client, globex_user.email)
    assert still["user"]["full_name"] == "Test Person"


async def test_plain_users_cannot_manage_anyone(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    other = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        tokens = await login(client, user.email)
        assert (await client.get("/api/v1/auth/users", headers=bearer(tokens))).status_code == 403
        promote = await client.patch(
            f"/api/v1/auth/users/{other.id}", headers=bearer(tokens), json={"role": "tenant_admin"}
        )
        assert promote.status_code == 403
        tenant_create = await client.post(
            "/api/v1/auth/tenants", headers=bearer(tokens), json={"slug": "evil", "name": "Evil"}
        )
        assert tenant_create.status_code == 403


async def test_a_permission_change_applies_on_the_next_request(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    admin = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        admin_tokens = await login(client, admin.email)
        user_tokens = await login(client, user.email)
        changed = await client.patch(
            f"/api/v1/auth/users/{user.id}",
            headers=bearer(admin_tokens),
            json={"role": "tenant_admin", "permissions": ["view_analytics"]},
        )
        assert changed.status_code == 200
        me = (await client.get("/api/v1/auth/me", headers=bearer(user_tokens))).json()
        assert me["role"] == "tenant_admin"
        assert me["permissions"] == ["view_analytics"]
        # Their unexpired old token now carries the new rights: they can list users.
        listed = await client.get("/api/v1/auth/users", headers=bearer(user_tokens))
        assert listed.status_code == 200
        demoted = await client.patch(
            f"/api/v1/auth/users/{user.id}", headers=bearer(admin_tokens), json={"role": "user"}
        )
        assert demoted.json()["permissions"] == [
            "access_gamification",
            "view_referrals",
            "manage_campaigns",
        ]
        assert (
            await client.get("/api/v1/auth/users", headers=bearer(user_tokens))
        ).status_code == 403


async def test_disabling_a_user_ends_their_sessions(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    admin = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        admin_tokens = await login(client, admin.email)
        user_tokens = await login(client, user.email)
        response = await client.delete(
            f"/api/v1/auth/users/{user.id}", headers=bearer(admin_tokens)
        )
        assert response.status_code == 204
        assert (await client.get("/api/v1/auth/me", headers=bearer(user_tokens))).status_code == 401
        again = await client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
        )
        assert again.status_code == 403
        refresh = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": user_tokens["refresh_token"]}
        )
        assert refresh.status_code == 401
        self_disable = await client.delete(
            f"/api/v1/auth/users/{admin.id}", headers=bearer(admin_tokens)
        )
        assert self_disable.status_code == 400


async def test_suspending_a_tenant_ends_all_its_sessions_and_reactivation_restores_login(
    auth_app: FastAPI,
):
    tenant = await create_tenant(auth_app)
    other = await create_tenant(auth_app)
    root = await create_user(auth_app, None, Role.SUPER_ADMIN)
    members = [await create_user(auth_app, tenant) for _ in range(2)]
    bystander = await create_user(auth_app, other)
    async with client_for(auth_app) as client:
        root_tokens = await login(client, root.email)
        member_tokens = [await login(client, m.email) for m in members]
        bystander_tokens = await login(client, bystander.email)
        suspended = await client.patch(
            f"/api/v1/auth/tenants/{tenant.id}",
            headers=bearer(root_tokens),
            json={"status": "suspended"},
        )
        assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
        for tokens in member_tokens:
            assert (await client.get("/api/v1/auth/me", headers=bearer(tokens))).status_code == 401
        assert (
            await client.get("/api/v1/auth/me", headers=bearer(bystander_tokens))
        ).status_code == 200
        await client.patch(
            f"/api/v1/auth/tenants/{tenant.id}",
            headers=bearer(root_tokens),
            json={"status": "active"},
        )
        assert (await login(client, members[0].email))["user"]["tenant"]["id"] == str(tenant.id)


async def test_super_admin_creates_and_lists_tenants_with_validation(auth_app: FastAPI):
    root = await create_user(auth_app, None, Role.SUPER_ADMIN)
    async with client_for(auth_app) as client:
        tokens = await login(client, root.email)
        slug = f"new-{root.id.hex[:8]}"
        created = await client.post(
            "/api/v1/auth/tenants",
            headers=bearer(tokens),
            json={"slug": slug, "name": "New Co", "rate_limit_per_hour": 5000},
        )
        assert created.status_code == 201
        assert created.json()["rate_limit_per_hour"] == 5000
        duplicate = await client.post(
            "/api/v1/auth/tenants", headers=bearer(tokens), json={"slug": slug, "name": "Again"}
        )
        assert duplicate.status_code == 409
        for bad in (
            {"slug": "Bad Slug", "name": "x"},
            {"slug": "ok-slug", "name": ""},
            {"slug": "ok-slug2", "name": "x", "rate_limit_per_hour": -1},
            {"slug": "ok-slug3", "name": "x", "surprise": 1},
        ):
            response = await client.post("/api/v1/auth/tenants", headers=bearer(tokens), json=bad)
            assert response.status_code == 422, bad
            assert response.json()["error"] == "ValidationError"
        slugs = set()
        cursor = None
        while True:  # every page, oldest first
            params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
            page = (
                await client.get("/api/v1/auth/tenants", params=params, headers=bearer(tokens))
            ).json()
            slugs |= {t["slug"] for t in page["tenants"]}
            if not (cursor := page["next_cursor"]):
                break
        assert slug in slugs
        assert "ok-slug" not in slugs


async def test_invitation_link_is_single_use_and_sets_the_password(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    admin = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
    async with client_for(auth_app) as client:
        tokens = await login(client, admin.email)
        invited = await client.post(
            "/api/v1/auth/users",
            headers=bearer(tokens),
            json={"email": "Invitee@Example.com", "full_name": "Ivy", "role": "user"},
        )
        assert invited.status_code == 201
        body = invited.json()
        assert body["email"] == "invitee@example.com" and body["is_active"] is False
        assert auth_app.state.auth.mailer.outbox[-1].to == "invitee@example.com"
        token = parse_qs(urlparse(body["invitation_url"]).query)["token"][0]
        before = await client.post(
            "/api/v1/auth/login", json={"email": "invitee@example.com", "password": PASSWORD}
        )
        assert before.status_code in (401, 403)
        weak = await client.post(
            "/api/v1/auth/invitations/accept", json={"token": token, "password": "password"}
        )
        assert weak.status_code == 400
        accepted = await client.post(
            "/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD}
        )
        assert accepted.status_code == 200 and accepted.json()["is_active"] is True
        replay = await client.post(
            "/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD}
        )
        assert replay.status_code == 404
        assert (await login(client, "invitee@example.com"))["user"]["tenant"]["id"] == str(
            tenant.id
        )


async def test_tenant_admin_cannot_create_users_elsewhere_or_super_admins(auth_app: FastAPI):
    acme, globex = await create_tenant(auth_app), await create_tenant(auth_app)
    admin = await create_user(auth_app, acme, Role.TENANT_ADMIN)
    async with client_for(auth_app) as client:
        tokens = await login(client, admin.email)
        elsewhere = await client.post(
            "/api/v1/auth/users",
            headers=bearer(tokens),
            json={"email": "x1@example.com", "password": PASSWORD, "tenant_id": str(globex.id)},
        )
        assert elsewhere.status_code == 404
        root = await client.post(
            "/api/v1/auth/users",
            headers=bearer(tokens),
            json={"email": "x2@example.com", "password": PASSWORD, "role": "super_admin"},
        )
        assert root.status_code == 403
        listed = (await client.get("/api/v1/auth/users", headers=bearer(tokens))).json()["users"]
        assert {u["email"] for u in listed} == {admin.email}


async def test_users_are_listed_page_by_page_and_a_forged_cursor_is_refused(auth_app: FastAPI):
    acme = await create_tenant(auth_app)
    admin = await create_user(auth_app, acme, Role.TENANT_ADMIN)
    others = [await create_user(auth_app, acme) for _ in range(2)]
    async with client_for(auth_app) as client:
        headers = bearer(await login(client, admin.email))
        seen: list[str] = []
        params: dict[str, object] = {"limit": 2}
        while True:
            page = (await client.get("/api/v1/auth/users", params=params, headers=headers)).json()
            seen += [u["id"] for u in page["users"]]
            if not page["next_cursor"]:
                break
            params = {"limit": 2, "cursor": page["next_cursor"]}
        assert seen == [str(u.id) for u in (admin, *others)]  # oldest first, each once
        for forged in ("x\u00fb", "WyJub3QtYS1kYXRlIiwgIm5vdC1hLXV1aWQiXQ"):
            refused = await client.get(
                "/api/v1/auth/users", params={"cursor": forged}, headers=headers
            )
            assert refused.status_code == 400, refused.text
            assert refused.json()["error"] == "BadRequest"


async def test_an_admin_finds_users_by_part_of_their_email_or_name(auth_app: FastAPI):
    acme, globex = await create_tenant(auth_app), await create_tenant(auth_app)
    admin = await create_user(auth_app, acme, Role.TENANT_ADMIN)
    zoe = await create_user(auth_app, acme, full_name="Zoë 100%_Sure")
    await create_user(auth_app, acme, full_name="Quinn")
    await create_user(auth_app, globex, full_name="Zoë Elsewhere")
    async with client_for(auth_app) as client:
        tokens = await login(client, admin.email)

        async def found(q: str) -> list[str]:
            answer = await client.get("/api/v1/auth/users", params={"q": q}, headers=bearer(tokens))
            assert answer.status_code == 200, answer.text
            return [u["id"] for u in answer.json()["users"]]

        assert await found("ZO") == [str(zoe.id)]  # any case; not the other tenant's Zoë
        assert await found("100%_") == [str(zoe.id)]  # % and _ are plain characters
        assert await found("0%S") == []
        assert await found(zoe.email.split("@")[0].upper()) == [str(zoe.id)]
        too_long = await client.get(
            "/api/v1/auth/users", params={"q": "x" * 101}, headers=bearer(tokens)
        )
        assert too_long.status_code == 422


async def test_a_tenant_admin_keeps_its_profile_but_not_its_plan_or_limit(auth_app: FastAPI):
    acme, globex = await create_tenant(auth_app), await create_tenant(auth_app)
    admin = await create_user(auth_app, acme, Role.TENANT_ADMIN)
    async with client_for(auth_app) as client:
        headers = bearer(await login(client, admin.email))
        own = f"/api/v1/auth/tenants/{acme.id}"
        profile = {"name": "Acme Rockets", "industry": "retail", "timezone": "Asia/Tokyo"}
        changed = await client.patch(
            own, json={**profile, "brand_colour": "#00AA88"}, headers=headers
        )
        assert changed.status_code == 200, changed.text
        assert (
            changed.json()["brand_colour"] == "#00aa88" and changed.json()["name"] == "Acme Rockets"
        )
        cleared = await client.patch(own, json={"brand_colour": None}, headers=headers)
        assert cleared.json()["brand_colour"] is None
        bad = await client.patch(own, json={"timezone": "Mars/Olympus"}, headers=headers)
        assert bad.status_code == 422
        for body in (
            {"rate_limit_per_hour": 10**6},
            {"plan": "enterprise"},
            {"status": "suspended"},
        ):
            refused = await client.patch(own, json=body, headers=headers)
            assert refused.status_code == 403, body
        other = await client.patch(
            f"/api/v1/auth/tenants/{globex.id}", json={"name": "Mine now"}, headers=headers
        )
        assert other.status_code == 404
        after = (await client.get(own, headers=headers)).json()
        assert (after["name"], after["timezone"], after["rate_limit_per_hour"]) == (
            "Acme Rockets",
            "Asia/Tokyo",
            1000,
        )


async def test_withdrawing_an_invitation_frees_the_email_for_another(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    admin = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
    async with client_for(auth_app) as client:
        headers = bearer(await login(client, admin.email))
        body = {"email": f"maybe-{tenant.id.hex[:8]}@example.com", "role": "user"}
        invited = await client.post("/api/v1/auth/users", json=body, headers=headers)
        withdrawn = await client.delete(
            f"/api/v1/auth/users/{invited.json()['id']}", headers=headers
        )
        assert withdrawn.status_code == 204
        token = parse_qs(urlparse(invited.json()["invitation_url"]).query)["token"][0]
        late = await client.post(
            "/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD}
        )
        assert late.status_code == 404
        again = await client.post("/api/v1/auth/users", json=body, headers=headers)
        assert again.status_code == 201
        audit = (await client.get("/api/v1/auth/audit", headers=headers)).json()["events"]
        assert "invitation_withdrawn" in {entry["event"] for entry in audit}
