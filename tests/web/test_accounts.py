"""The pages emails and share links lead to, opened as a person would: from the link in the
email the platform sent, or the member's share link, in a browser that keeps its cookies."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI

from bizosaas.identity.vocabulary import Role
from tests.factories import bearer, client_for, create_tenant, create_user, login
from tests.gamification.factories import Org, make_org, settle
from tests.web.conftest import browser_for, hidden_csrf

LINK = re.compile(r"https?://\S+")


def emailed_link(auth_app: FastAPI, to: str) -> str:
    """The link in the latest email the platform sent to ``to`` (no SMTP here: the outbox)."""
    mail = [m for m in auth_app.state.auth.mailer.outbox if m.to == to][-1]
    found = LINK.search(mail.body)
    assert found is not None, mail.body
    parts = urlsplit(found.group(0))
    return f"{parts.path}?{parts.query}"


async def post_form(browser: httpx.AsyncClient, path: str, **fields: str) -> httpx.Response:
    page = await browser.get(path)
    assert page.status_code == 200, page.text
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return await browser.post(path.split("?")[0], data={**hidden, **fields})


async def test_an_invited_user_sets_a_password_from_the_emailed_link(
    auth_app: FastAPI, login_app: FastAPI
) -> None:
    tenant = await create_tenant(auth_app)
    admin = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
    async with client_for(auth_app) as api:
        tokens = await login(api, admin.email)
        created = await api.post(
            "/api/v1/auth/users",
            json={"email": f"n{tenant.slug}@example.com"},
            headers=bearer(tokens),
        )
    email = created.json()["email"]
    link = emailed_link(auth_app, email)
    assert link.startswith("/login/invitation?token=")
    async with browser_for(login_app) as browser:
        weak = await post_form(browser, link, password="short")
        assert weak.status_code == 400 and 'aria-invalid="true"' in weak.text
        assert "short" not in weak.text  # a password is never echoed back
        done = await post_form(browser, link, password="Harbor-Lantern-Quartz-77", full_name="Nia")
        assert done.status_code == 200 and "Your password is set" in done.text
        again = await post_form(browser, link, password="Harbor-Lantern-Quartz-77")
        assert again.status_code == 400 and "already used" in again.text
    async with client_for(auth_app) as api:
        assert (await login(api, email, "Harbor-Lantern-Quartz-77"))["user"]["full_name"] == "Nia"


async def test_a_forgotten_password_is_reset_from_the_emailed_link(
    auth_app: FastAPI, login_app: FastAPI
) -> None:
    user = await create_user(auth_app, await create_tenant(auth_app))
    async with browser_for(login_app) as browser:
        sent = await post_form(browser, "/login/forgot", email=user.email)
        unknown = await post_form(browser, "/login/forgot", email="nobody@example.com")
        assert sent.status_code == unknown.status_code == 200
        assert "If the address is known" in sent.text and "If the address is known" in unknown.text
        link = emailed_link(auth_app, user.email)
        assert link.startswith("/login/reset?token=")
        forged = await browser.post("/login/reset", data={"csrf_token": "x", "password": "y"})
        assert forged.status_code == 400 and "expired" in forged.text
        done = await post_form(browser, link, password="Orchid-Ferry-Lantern-31")
        assert done.status_code == 200 and "Your password is changed" in done.text
    async with client_for(auth_app) as api:
        await login(api, user.email, "Orchid-Ferry-Lantern-31")


async def test_a_newcomer_signs_up_through_a_share_link_and_counts_for_the_referrer(
    auth_app: FastAPI, gamification_app: FastAPI, login_app: FastAPI
) -> None:
    org: Org = await make_org(auth_app, gamification_app, self_signup=True)
    async with org.client:
        await org.client.post(
            "/api/v1/gamification/referrals/programs",
            json={
                "name": "Friends",
                "platform": "bizoholic",
                "status": "active",
                "referrer_reward": {"amount": "10", "unit": "points"},
                "qualifying_event": "signup",
                "hold_days": 0,
            },
            headers=org.admin.headers,
        )
        alice = await org.member(full_name="Alice Archer")
        code = (
            await org.client.post(
                "/api/v1/gamification/referrals/generate", json={}, headers=alice.headers
            )
        ).json()["code"]
        async with browser_for(login_app) as visitor:
            landed = await visitor.get(f"/r/{code}")
            assert landed.status_code == 303
            target = landed.headers["location"]
            assert urlsplit(target).path == "/login/signup"
            assert parse_qs(urlsplit(target).query)["tenant"] == [org.tenant.slug]
            page = await visitor.get(target)
            assert "Alice invited you" in page.text
            joined = await visitor.post(
                "/login/signup",
                data={
                    "csrf_token": hidden_csrf(page.text),
                    "tenant": org.tenant.slug,
                    "full_name": "Bruno Newcomer",
                    "email": f"bruno.{org.tenant.slug}@example.com",
                    "password": "Velvet-Harbor-Compass-58",
                },
            )
            assert joined.status_code == 200 and "Welcome aboard" in joined.text
            bad = await visitor.get("/r/NOPE-0000")
            assert bad.status_code == 404 and "not valid" in bad.text
        for _ in range(100):  # the sign-up event reaches gamification through the inbox
            await settle(gamification_app, org.id)
            mine = (
                await org.client.get("/api/v1/gamification/referrals/me", headers=alice.headers)
            ).json()["programs"][0]
            if mine["conversions"]:
                break
            await asyncio.sleep(0.1)
        assert (mine["clicks"], mine["signups"], mine["conversions"]) == (1, 1, {"approved": 1})


async def test_sign_up_is_closed_where_the_tenant_does_not_take_it(
    auth_app: FastAPI, login_app: FastAPI
) -> None:
    tenant = await create_tenant(auth_app)  # self_signup off
    async with browser_for(login_app) as browser:
        page = await browser.get("/login/signup", params={"tenant": tenant.slug})
    assert page.status_code == 404 and "does not take sign-ups" in page.text
