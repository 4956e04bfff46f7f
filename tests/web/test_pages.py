from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI

from bizosaas.identity.vocabulary import Role
from tests.factories import create_tenant, create_user, direct_client
from tests.web.conftest import browser_for, hidden_csrf, session_cookies


async def test_anonymous_visitors_are_sent_to_the_login_screen(
    portal_app: FastAPI, admin_app: FastAPI
):
    for app, path in ((portal_app, "/portal"), (admin_app, "/admin")):
        async with browser_for(app) as client:
            response = await client.get(path, params={"tab": "1"})
        assert response.status_code == 303
        location = urlsplit(response.headers["location"])
        assert location.path == "/login" and not location.netloc
        assert parse_qs(location.query) == {"next": [f"{path}?tab=1"]}


async def test_a_forged_or_ended_session_counts_as_anonymous(portal_app: FastAPI):
    async with browser_for(portal_app) as client:
        client.cookies.set("bizosaas_access", "eyJhbGciOiJub25lIn0.e30.")
        response = await client.get("/portal")
    assert response.status_code == 303


async def test_the_portal_frames_every_page_for_the_signed_in_member(
    portal_app: FastAPI, auth_app: FastAPI
):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant, full_name="Pat Portal")
    cookies = await session_cookies(auth_app, user.email)
    async with browser_for(portal_app, cookies) as client:
        response = await client.get("/portal")
    html = response.text
    assert response.status_code == 200
    assert "Welcome back" in html
    for section in ("Referrals", "Achievements", "Leaderboards", "Showcases"):
        assert f">{section}</a>" in html
    assert '<option value="coreldove"' in html  # the platform switch
    assert 'action="/logout"' in html and '<main id="main"' in html
    assert hidden_csrf(html) == cookies["bizosaas_csrf"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp


async def test_each_page_refuses_the_wrong_role_and_links_to_the_users_own(
    portal_app: FastAPI, admin_app: FastAPI, auth_app: FastAPI
):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    root = await create_user(auth_app, None, Role.SUPER_ADMIN)
    async with browser_for(admin_app, await session_cookies(auth_app, user.email)) as client:
        refused = await client.get("/admin")
    assert refused.status_code == 403
    assert "This page is for the tenant administrator role." in refused.text
    assert 'href="/portal"' in refused.text
    assert "Go to your client portal" in refused.text

    async with browser_for(portal_app, await session_cookies(auth_app, root.email)) as client:
        refused = await client.get("/portal")
    assert refused.status_code == 403
    assert "This page is for the client or tenant administrator role." in refused.text
    assert 'href="/sqladmin"' in refused.text


async def test_a_tenant_admin_opens_the_dashboard_and_the_portal(
    portal_app: FastAPI, admin_app: FastAPI, auth_app: FastAPI
):
    tenant = await create_tenant(auth_app)
    boss = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
    cookies = await session_cookies(auth_app, boss.email)
    async with browser_for(admin_app, cookies) as client:
        dashboard = await client.get("/admin")
        nav = re.search(r'<nav aria-label="Admin dashboard".*?</nav>', dashboard.text, re.S)
        assert nav is not None
        links = re.findall(r'<a href="([^"]+)"', nav.group(0))
        for section in ("Achievements", "Leaderboards", "Referrals", "People"):
            assert f">{section}</a>" in nav.group(0)
        for link in links:  # no section of the dashboard is a dead end
            assert (await client.get(link)).status_code == 200, link
    async with browser_for(portal_app, cookies) as client:
        portal = await client.get("/portal")
    assert dashboard.status_code == 200
    assert "<h1>Overview</h1>" in dashboard.text and boss.email in dashboard.text
    assert portal.status_code == 200


async def test_a_role_change_applies_on_the_next_page(admin_app: FastAPI, auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    boss = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
    member = await create_user(auth_app, tenant)
    boss_cookies = await session_cookies(auth_app, boss.email)
    member_cookies = await session_cookies(auth_app, member.email)
    async with browser_for(auth_app, boss_cookies) as api:
        promoted = await api.patch(
            f"/api/v1/auth/users/{member.id}",
            json={"role": "tenant_admin"},
            headers={"x-csrf-token": boss_cookies["bizosaas_csrf"]},
        )
    assert promoted.status_code == 200, promoted.text
    async with browser_for(admin_app, member_cookies) as client:
        assert (await client.get("/admin")).status_code == 200


async def test_web_apps_answer_health_and_readiness(portal_app: FastAPI, admin_app: FastAPI):
    for app in (portal_app, admin_app):
        # Probes reach each service itself (an orchestrator's health check), not the gateway.
        async with direct_client(app) as client:
            assert (await client.get("/health")).status_code == 200
            ready = await client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert set(ready.json()["checks"]) == {"redis", "vault"}
