from __future__ import annotations

from fastapi import FastAPI

from tests.factories import client_for, create_tenant, create_user
from tests.web.conftest import browser_for, hidden_csrf, session_cookies


async def test_logout_ends_the_session_everywhere(
    login_app: FastAPI, portal_app: FastAPI, auth_app: FastAPI
):
    user = await create_user(auth_app, await create_tenant(auth_app))
    cookies = await session_cookies(auth_app, user.email)
    async with browser_for(portal_app, cookies) as portal:
        page = await portal.get("/portal")
        assert page.status_code == 200
        token = hidden_csrf(page.text)
    assert token == cookies["bizosaas_csrf"]

    async with browser_for(login_app, cookies) as client:
        response = await client.post("/logout", data={"csrf_token": token})
        assert response.status_code == 303
        assert response.headers["location"] == "/login?logged_out=1"
        cleared = response.headers.get_list("set-cookie")
        for name in ("bizosaas_access", "bizosaas_refresh", "bizosaas_csrf"):
            assert any(c.startswith(f'{name}=""') and "Max-Age=0" in c for c in cleared), name
        notice = await client.get("/login?logged_out=1")
    assert "You have signed out." in notice.text

    # The old cookies, replayed, no longer open anything: renewal fails, back to sign-in.
    async with browser_for(portal_app, cookies) as replay:
        after = await replay.get("/portal")
    assert after.status_code == 303
    assert after.headers["location"] == "/login/refresh?next=%2Fportal"
    async with browser_for(login_app, cookies) as replay:
        renewal = await replay.get(after.headers["location"])
    assert renewal.status_code == 303
    assert renewal.headers["location"] == "/login?next=%2Fportal"


async def test_logout_without_the_sessions_csrf_token_changes_nothing(
    login_app: FastAPI, portal_app: FastAPI, auth_app: FastAPI
):
    user = await create_user(auth_app, await create_tenant(auth_app))
    cookies = await session_cookies(auth_app, user.email)
    async with browser_for(login_app, cookies) as client:
        forged = await client.post("/logout", data={"csrf_token": "guessed"})
        missing = await client.post("/logout")
    assert forged.status_code == missing.status_code == 400
    assert "could not confirm" in forged.text
    assert not forged.headers.get_list("set-cookie")
    async with browser_for(portal_app, cookies) as portal:
        assert (await portal.get("/portal")).status_code == 200


async def test_logout_after_the_access_token_expired_still_ends_the_session(
    login_app: FastAPI, auth_app: FastAPI
):
    user = await create_user(auth_app, await create_tenant(auth_app))
    cookies = await session_cookies(auth_app, user.email)
    refresh_token, csrf = cookies["bizosaas_refresh"], cookies["bizosaas_csrf"]
    cookies.delete("bizosaas_access")  # the browser dropped it at expiry
    async with browser_for(login_app, cookies) as client:
        response = await client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    async with client_for(auth_app) as api:
        reuse = await api.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert reuse.status_code == 401


async def test_logout_of_an_anonymous_visitor_just_shows_the_form(login_app: FastAPI):
    async with browser_for(login_app) as client:
        response = await client.post("/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?logged_out=1"


async def test_an_expired_access_cookie_is_renewed_silently(
    login_app: FastAPI, portal_app: FastAPI, auth_app: FastAPI
):
    user = await create_user(auth_app, await create_tenant(auth_app))
    cookies = await session_cookies(auth_app, user.email)
    del cookies["bizosaas_access"]  # the browser dropped it when it expired
    async with browser_for(portal_app, cookies) as portal:
        first = await portal.get("/portal")
    assert first.headers["location"] == "/login/refresh?next=%2Fportal"
    async with browser_for(login_app, cookies) as client:
        renewed = await client.get(first.headers["location"])
        assert renewed.status_code == 303
        assert renewed.headers["location"] == "/portal"
        fresh = client.cookies
    assert fresh.get("bizosaas_access")
    assert fresh.get("bizosaas_refresh") != cookies["bizosaas_refresh"]  # rotated
    async with browser_for(portal_app, fresh) as portal:
        page = await portal.get("/portal")
    assert page.status_code == 200
    assert user.email in page.text
