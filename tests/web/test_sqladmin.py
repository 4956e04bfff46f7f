from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI
from sqlalchemy import select

from bizosaas.auth.models import AuditEvent, Tenant, User
from bizosaas.core.api_keys import hash_api_key
from bizosaas.core.database import RowScope
from bizosaas.identity.vocabulary import Role
from tests.factories import create_tenant, create_user, runtime_db
from tests.gamification.factories import event, make_org
from tests.web.conftest import browser_for, member_browser, session_cookies


async def test_anonymous_visitors_go_to_the_single_login_screen(sqladmin_app: FastAPI):
    async with browser_for(sqladmin_app) as client:
        page = await client.get("/sqladmin/user/list")
        own_login = await client.get("/sqladmin/login")
    for response, next_path in ((page, "/sqladmin/user/list"), (own_login, "/sqladmin/")):
        assert response.status_code == 303
        location = urlsplit(response.headers["location"])
        assert location.path == "/login"
        assert parse_qs(location.query) == {"next": [next_path]}


async def test_only_the_super_admin_gets_in(sqladmin_app: FastAPI, auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    boss = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
    async with browser_for(sqladmin_app, await session_cookies(auth_app, boss.email)) as client:
        refused = await client.get("/sqladmin/")
    assert refused.status_code == 403
    assert "This page is for the super administrator role." in refused.text
    assert 'href="/admin"' in refused.text


async def test_the_super_admin_sees_every_tenants_users_but_no_secrets(
    sqladmin_app: FastAPI, auth_app: FastAPI
):
    first, second = await create_tenant(auth_app), await create_tenant(auth_app)
    alice = await create_user(auth_app, first)
    bob = await create_user(auth_app, second)
    root = await create_user(auth_app, None, Role.SUPER_ADMIN)
    async with browser_for(sqladmin_app, await session_cookies(auth_app, root.email)) as client:
        home = await client.get("/sqladmin/")
        users = await client.get("/sqladmin/user/list", params={"search": alice.email})
        others = await client.get("/sqladmin/user/list", params={"search": bob.email})
        details = await client.get(f"/sqladmin/user/details/{alice.id}")
        sessions = await client.get("/sqladmin/user-session/list")
        export = await client.get("/sqladmin/user/export/csv")
    assert home.status_code == 200
    assert alice.email in users.text and bob.email in others.text
    assert details.status_code == 200 and alice.email in details.text
    assert sessions.status_code == 200
    for response in (users, details, sessions, export):
        assert "$argon2" not in response.text
        assert "hashed_password" not in response.text and "refresh_hash" not in response.text
    assert alice.hashed_password not in export.text


async def test_the_audit_log_and_sessions_are_read_only(sqladmin_app: FastAPI, auth_app: FastAPI):
    root = await create_user(auth_app, None, Role.SUPER_ADMIN)
    cookies = await session_cookies(auth_app, root.email)
    async with browser_for(sqladmin_app, cookies) as client:
        listing = await client.get("/sqladmin/audit-event/list")
        create = await client.get("/sqladmin/audit-event/create")
        edit = await client.get("/sqladmin/user-session/create")
    assert listing.status_code == 200 and "user_created" in listing.text
    assert create.status_code == 403
    assert edit.status_code == 403


async def test_an_edit_is_saved_across_tenants_and_audited(
    sqladmin_app: FastAPI, auth_app: FastAPI
):
    member = await create_user(auth_app, await create_tenant(auth_app))
    root = await create_user(auth_app, None, Role.SUPER_ADMIN)
    cookies = await session_cookies(auth_app, root.email)
    form = {"full_name": "Renamed Person", "is_verified": "y"}
    url = f"/sqladmin/user/edit/{member.id}"
    async with browser_for(sqladmin_app, cookies) as client:
        cross_site = await client.post(url, data=form, headers={"origin": "https://evil.example"})
        saved = await client.post(url, data=form, headers={"origin": "http://localhost"})
    assert cross_site.status_code == 403
    assert saved.status_code == 302, saved.text
    async with runtime_db(auth_app).transaction(RowScope.platform_wide()) as db:
        user = await db.get(User, member.id)
        events = (
            await db.scalars(select(AuditEvent).where(AuditEvent.subject_id == member.id))
        ).all()
    assert user is not None and user.full_name == "Renamed Person"
    edits = [e for e in events if e.event == "sqladmin_update"]
    assert len(edits) == 1
    assert edits[0].actor_id == root.id
    assert "full_name" in edits[0].details["fields"]


async def test_the_super_admin_reads_every_tenants_gamification_without_key_hashes(
    sqladmin_app: FastAPI, auth_app: FastAPI, gamification_app: FastAPI
):
    orgs = [await make_org(auth_app, gamification_app) for _ in range(2)]
    keys = []
    for org in orgs:
        async with org.client:
            member = await org.member(full_name=f"Player of {org.tenant.slug}")
            keys.append(await org.api_key())
            await org.send([event(member, "order.completed", total=5)], keys[-1])
            await org.settle()
    root = await create_user(auth_app, None, Role.SUPER_ADMIN)
    async with browser_for(sqladmin_app, await session_cookies(auth_app, root.email)) as client:
        members = await client.get("/sqladmin/member/list", params={"search": "Player of"})
        events = await client.get("/sqladmin/gamification-event/list")
        api_keys = await client.get("/sqladmin/api-key/list")
        export = await client.get("/sqladmin/api-key/export/csv")
        key_id = re.search(r"/sqladmin/api-key/details/([0-9a-f-]{36})", api_keys.text)
        details = await client.get(f"/sqladmin/api-key/details/{key_id.group(1)}")  # type: ignore[union-attr]
        create = await client.get("/sqladmin/reward-entry/create")
    assert members.status_code == 200
    assert all(f"Player of {org.tenant.slug}" in members.text for org in orgs)
    assert "order.completed" in events.text
    for response in (api_keys, export, details):
        assert response.status_code == 200
        assert "key_hash" not in response.text
        assert not any(hash_api_key(key) in response.text for key in keys)
    assert create.status_code == 403  # read-only: changes go through the services


async def test_actions_go_through_the_services_and_are_refused_cross_site(
    sqladmin_app: FastAPI, auth_app: FastAPI, gamification_app: FastAPI
):
    org = await make_org(auth_app, gamification_app)
    async with org.client:
        member, member_session = await member_browser(org)
        key = await org.api_key()
        key_id = (
            await org.client.get("/api/v1/gamification/api-keys", headers=org.admin.headers)
        ).json()[0]["id"]
        root = await create_user(auth_app, None, Role.SUPER_ADMIN)
        cookies = await session_cookies(auth_app, root.email)
        own = {"referer": "http://localhost/sqladmin/tenant/list"}
        async with browser_for(sqladmin_app, cookies) as client, member_session:
            theirs = await org.client.delete(
                f"/api/v1/gamification/platform/api-keys/{key_id}", headers=org.admin.headers
            )
            assert theirs.status_code == 403  # a tenant admin revokes only through their own
            forged = await client.get(f"/sqladmin/api-key/action/revoke?pks={key_id}")
            assert forged.status_code == 403  # no same-origin referer: another site's link
            assert (await org.send([event(member, "order.completed")], key)).status_code == 202

            revoked = await client.get(f"/sqladmin/api-key/action/revoke?pks={key_id}", headers=own)
            assert revoked.status_code == 303
            assert (await org.send([event(member, "order.completed")], key)).status_code == 401

            ended = await client.get(
                f"/sqladmin/user/action/end-sessions?pks={member.id}", headers=own
            )
            assert ended.status_code == 303
            assert (await member_session.get("/portal")).status_code == 303  # signed out

            suspended = await client.get(
                f"/sqladmin/tenant/action/suspend?pks={org.id}", headers=own
            )
            assert suspended.status_code == 303
            refused = await org.client.get("/api/v1/auth/me", headers=org.admin.headers)
            assert refused.status_code in (401, 403)
    async with runtime_db(auth_app).transaction(RowScope.platform_wide()) as db:
        tenant = await db.get(Tenant, org.id)
        events = (
            await db.scalars(select(AuditEvent.event).where(AuditEvent.actor_id == root.id))
        ).all()
    assert tenant is not None and tenant.status == "suspended"
    assert "sessions_ended" in events  # the service's own audit entries, not a row edit
