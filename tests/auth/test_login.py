from __future__ import annotations

import jwt
from fastapi import FastAPI

from bizosaas.identity.vocabulary import Role
from tests.factories import PASSWORD, bearer, client_for, create_tenant, create_user, login

PRD_CLAIMS = {
    "sub",
    "email",
    "role",
    "tenant_id",
    "tenant_slug",
    "permissions",
    "allowed_platforms",
    "gamification",
    "platform",
    "session_id",
    "exp",
    "iat",
    "iss",
    "aud",
    "jti",
}


async def test_login_returns_tokens_with_the_prd_claims_and_role_redirect(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    admin = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
    async with client_for(auth_app) as client:
        tokens = await login(client, admin.email, platform="bizoholic")
    assert tokens["redirect_to"] == "/admin"
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert set(claims) == PRD_CLAIMS
    assert claims["tenant_id"] == str(tenant.id)
    assert claims["tenant_slug"] == tenant.slug
    assert claims["role"] == "tenant_admin"
    assert claims["platform"] == "bizoholic"
    assert claims["exp"] - claims["iat"] == 30 * 60
    assert claims["gamification"] == {
        "achievement_count": None,
        "leaderboard_rank": None,
        "referral_code": None,
        "portfolio_id": None,
    }
    assert "manage_achievements" in claims["permissions"]


async def test_each_role_lands_on_its_own_page(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant, Role.USER)
    root = await create_user(auth_app, None, Role.SUPER_ADMIN)
    async with client_for(auth_app) as client:
        assert (await login(client, user.email))["redirect_to"] == "/portal"
        assert (await login(client, root.email))["redirect_to"] == "/sqladmin"


async def test_unknown_email_and_wrong_password_get_the_same_answer(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        wrong = await client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": "Not-The-Password-1"}
        )
        unknown = await client.post(
            "/api/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
        )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["www-authenticate"].startswith("Bearer")


async def test_login_sets_httponly_cookies_and_me_works_from_them(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        response = await client.post(
            "/api/v1/auth/login", data={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 200
        cookies = response.headers.get_list("set-cookie")
        access = next(c for c in cookies if c.startswith("bizosaas_access="))
        assert "HttpOnly" in access and "SameSite=lax" in access
        me = await client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    assert me.json()["tenant"]["slug"] == tenant.slug


async def test_platform_not_allowed_is_refused(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant, allowed_platforms=["coreldove"])
    async with client_for(auth_app) as client:
        refused = await client.post(
            "/api/v1/auth/login",
            json={"email": user.email, "password": PASSWORD, "platform": "bizoholic"},
        )
        allowed = await login(client, user.email, platform="coreldove")
    assert refused.status_code == 403
    assert allowed["user"]["platform"] == "coreldove"


async def test_suspended_tenant_cannot_sign_in(auth_app: FastAPI):
    tenant = await create_tenant(auth_app, status="suspended")
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        response = await client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
        )
    assert response.status_code == 403
    assert response.json()["error"] == "TenantSuspended"


async def test_bad_login_input_is_a_clear_4xx(auth_app: FastAPI):
    async with client_for(auth_app) as client:
        malformed = await client.post(
            "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
        )
        unknown_field = await client.post(
            "/api/v1/auth/login", json={"email": "a@b.co", "password": "x", "admin": True}
        )
        wrong_type = await client.post("/api/v1/auth/login", json={"email": 5, "password": []})
        oversized = await client.post(
            "/api/v1/auth/login",
            content=b"x" * 2_000_000,
            headers={"content-type": "application/json"},
        )
    assert malformed.status_code == 400 and malformed.json()["error"] == "BadRequest"
    assert unknown_field.status_code == 400
    assert wrong_type.status_code == 400
    assert oversized.status_code == 413
    for response in (malformed, unknown_field, wrong_type, oversized):
        assert "Traceback" not in response.text


async def test_me_requires_a_token(auth_app: FastAPI):
    async with client_for(auth_app) as client:
        anonymous = await client.get("/api/v1/auth/me")
        garbage = await client.get("/api/v1/auth/me", headers=bearer({"access_token": "abc.def"}))
    assert anonymous.status_code == 401
    assert garbage.status_code == 401
    assert garbage.json()["error"] == "Unauthorized"
