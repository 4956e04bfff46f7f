from __future__ import annotations

import httpx
from fastapi import FastAPI

from bizosaas.identity.vocabulary import Role
from tests.factories import PASSWORD, create_tenant, create_user
from tests.web.conftest import browser_for, hidden_csrf

LOGIN_CSRF = "bizosaas_login_csrf"


async def open_form(client: httpx.AsyncClient, next_path: str | None = None) -> str:
    response = await client.get("/login", params={"next": next_path} if next_path else None)
    assert response.status_code == 200
    return hidden_csrf(response.text)


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **fields: str
) -> httpx.Response:
    token = await open_form(client)
    data = {"email": email, "password": password, "csrf_token": token, **fields}
    return await client.post("/login", data=data)


async def test_the_form_is_accessible_secure_and_fits_a_phone(login_app: FastAPI):
    async with browser_for(login_app) as client:
        response = await client.get("/login", params={"next": "/portal/referrals"})
    html = response.text
    assert response.headers["content-type"].startswith("text/html")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    for field in ("email", "password", "platform"):
        assert f'<label for="{field}"' in html and f'id="{field}"' in html
    assert 'value="/portal/referrals"' in html
    for platform in ("bizoholic", "coreldove", "bizosaas-admin"):
        assert f'value="{platform}"' in html
    assert "<script" not in html and "<style" not in html and "http://" not in html
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(LOGIN_CSRF))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


async def test_root_sends_to_the_form(login_app: FastAPI):
    async with browser_for(login_app) as client:
        response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_each_role_is_redirected_to_its_landing_page_with_the_session(
    login_app: FastAPI, auth_app: FastAPI
):
    tenant = await create_tenant(auth_app)
    expected = {Role.USER: "/portal", Role.TENANT_ADMIN: "/admin", Role.SUPER_ADMIN: "/sqladmin"}
    for role, path in expected.items():
        user = await create_user(auth_app, None if role is Role.SUPER_ADMIN else tenant, role)
        async with browser_for(login_app) as client:
            response = await sign_in(client, user.email)
        assert response.status_code == 303
        assert response.headers["location"] == path
        cookies = response.headers.get_list("set-cookie")
        assert any(c.startswith("bizosaas_access=") and "HttpOnly" in c for c in cookies)
        assert any(c.startswith("bizosaas_csrf=") for c in cookies)


async def test_next_is_honoured_only_below_the_roles_own_landing_page(
    login_app: FastAPI, auth_app: FastAPI
):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    cases = {
        "/portal/referrals?tab=2": "/portal/referrals?tab=2",
        "/admin": "/portal",
        "//evil.example/portal": "/portal",
        "https://evil.example/portal": "/portal",
        "/portalx": "/portal",
    }
    for next_path, location in cases.items():
        async with browser_for(login_app) as client:
            response = await sign_in(client, user.email, next=next_path)
        assert response.headers["location"] == location, next_path


async def test_wrong_password_is_an_inline_error_that_keeps_the_email(
    login_app: FastAPI, auth_app: FastAPI
):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with browser_for(login_app) as client:
        wrong = await sign_in(client, user.email, "Not-The-Password-42")
        unknown = await sign_in(client, "nobody@example.com", "Not-The-Password-42")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert 'role="alert"' in response.text
        assert "Incorrect email or password." in response.text
        assert 'aria-invalid="true"' in response.text
        assert "Not-The-Password-42" not in response.text
    assert f'value="{user.email}"' in wrong.text


async def test_suspended_tenant_and_disabled_account_are_explained(
    login_app: FastAPI, auth_app: FastAPI
):
    suspended = await create_tenant(auth_app, status="suspended")
    member = await create_user(auth_app, suspended)
    disabled = await create_user(auth_app, await create_tenant(auth_app), is_active=False)
    async with browser_for(login_app) as client:
        refused = await sign_in(client, member.email)
        off = await sign_in(client, disabled.email)
    assert refused.status_code == 403
    assert "Your organisation&#39;s account is suspended." in refused.text
    assert off.status_code == 403
    assert "This account is disabled." in off.text


async def test_a_locked_account_is_told_when_to_try_again(login_app: FastAPI, auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with browser_for(login_app) as client:
        statuses = [
            (await sign_in(client, user.email, "Not-The-Password-42")).status_code for _ in range(6)
        ]
        locked = await sign_in(client, user.email)  # even the right password waits
    assert statuses == [401] * 6
    assert locked.status_code == 429
    assert "Too many failed attempts. Try again in" in locked.text
    assert int(locked.headers["retry-after"]) >= 1


async def test_a_login_csrf_mismatch_is_refused(login_app: FastAPI, auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    form = {"email": user.email, "password": PASSWORD}
    async with browser_for(login_app) as client:
        await open_form(client)
        forged = await client.post("/login", data={**form, "csrf_token": "forged-value"})
    async with browser_for(login_app) as fresh:  # no login-CSRF cookie at all
        cookieless = await fresh.post("/login", data={**form, "csrf_token": "forged-value"})
    for response in (forged, cookieless):
        assert response.status_code == 400
        assert "Your sign-in form had expired" in response.text
        assert not any(
            c.startswith("bizosaas_access=") for c in response.headers.get_list("set-cookie")
        )


async def test_empty_fields_and_unknown_platforms_are_inline_errors(login_app: FastAPI):
    async with browser_for(login_app) as client:
        empty = await sign_in(client, "someone@example.com", "")
        platform = await sign_in(client, "someone@example.com", PASSWORD, platform="myspace")
    assert empty.status_code == 400 and "Enter your email and password." in empty.text
    assert platform.status_code == 400 and "Choose a platform from the list." in platform.text


async def test_a_platform_the_user_may_not_use_is_refused_inline(
    login_app: FastAPI, auth_app: FastAPI
):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant, allowed_platforms=["coreldove"])
    async with browser_for(login_app) as client:
        refused = await sign_in(client, user.email, platform="bizoholic")
        allowed = await sign_in(client, user.email, platform="coreldove")
    assert refused.status_code == 403
    assert "may not sign in to bizoholic" in refused.text
    assert 'value="bizoholic" selected' in refused.text
    assert allowed.status_code == 303
