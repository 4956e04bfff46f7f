from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json

import jwt
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from bizosaas.identity.vocabulary import Role
from tests.factories import PASSWORD, bearer, client_for, create_tenant, create_user, login


async def test_logout_makes_the_access_token_useless_at_once(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        tokens = await login(client, user.email)
        assert (await client.get("/api/v1/auth/me", headers=bearer(tokens))).status_code == 200
        out = await client.post("/api/v1/auth/logout", headers=bearer(tokens))
        assert out.status_code == 204
        after = await client.get("/api/v1/auth/me", headers=bearer(tokens))
    assert after.status_code == 401
    assert "session has ended" in after.json()["detail"]


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        first = await login(client, user.email)
        second = (
            await client.post(
                "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
            )
        ).json()
        assert second["refresh_token"] != first["refresh_token"]
        assert second["session_id"] == first["session_id"]
        assert (await client.get("/api/v1/auth/me", headers=bearer(second))).status_code == 200

        replay = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert replay.status_code == 401
        # The thief's replay ended the family: the legitimate newest tokens are dead too.
        assert (await client.get("/api/v1/auth/me", headers=bearer(second))).status_code == 401
        newest = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
        )
        assert newest.status_code == 401


async def test_concurrent_use_of_one_refresh_token_never_yields_two_live_pairs(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        tokens = await login(client, user.email)
        results = await asyncio.gather(
            *(
                client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
                for _ in range(5)
            )
        )
        winners = [r for r in results if r.status_code == 200]
        assert len(winners) <= 1
        assert all(r.status_code == 401 for r in results if r.status_code != 200)
        # A reuse was seen, so whatever won is dead as well.
        for winner in winners:
            check = await client.get("/api/v1/auth/me", headers=bearer(winner.json()))
            assert check.status_code == 401


async def test_logout_all_ends_every_device(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as phone, client_for(auth_app) as laptop:
        on_phone = await login(phone, user.email)
        on_laptop = await login(laptop, user.email)
        assert on_phone["session_id"] != on_laptop["session_id"]
        listed = (await laptop.get("/api/v1/auth/sessions", headers=bearer(on_laptop))).json()
        assert {s["id"] for s in listed} == {on_phone["session_id"], on_laptop["session_id"]}
        assert [s["current"] for s in listed if s["id"] == on_laptop["session_id"]] == [True]
        assert (
            await laptop.post("/api/v1/auth/logout-all", headers=bearer(on_laptop))
        ).status_code == 204
        assert (await phone.get("/api/v1/auth/me", headers=bearer(on_phone))).status_code == 401


async def test_user_ends_one_of_their_sessions_but_not_someone_elses(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    other = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        mine = await login(client, user.email)
        spare = await login(client, user.email)
        theirs = await login(client, other.email)
        denied = await client.delete(
            f"/api/v1/auth/sessions/{theirs['session_id']}", headers=bearer(mine)
        )
        assert denied.status_code == 404
        ended = await client.delete(
            f"/api/v1/auth/sessions/{spare['session_id']}", headers=bearer(mine)
        )
        assert ended.status_code == 204
        assert (await client.get("/api/v1/auth/me", headers=bearer(spare))).status_code == 401
        assert (await client.get("/api/v1/auth/me", headers=bearer(mine))).status_code == 200
        assert (await client.get("/api/v1/auth/me", headers=bearer(theirs))).status_code == 200


async def test_tenant_admin_ends_a_users_session_super_admin_anyones(auth_app: FastAPI):
    acme, globex = await create_tenant(auth_app), await create_tenant(auth_app)
    acme_admin = await create_user(auth_app, acme, Role.TENANT_ADMIN)
    acme_user = await create_user(auth_app, acme)
    globex_user = await create_user(auth_app, globex)
    root = await create_user(auth_app, None, Role.SUPER_ADMIN)
    async with client_for(auth_app) as client:
        admin_tokens = await login(client, acme_admin.email)
        user_tokens = await login(client, acme_user.email)
        foreign_tokens = await login(client, globex_user.email)
        root_tokens = await login(client, root.email)
        listed = await client.get(
            f"/api/v1/auth/sessions?user_id={acme_user.id}", headers=bearer(admin_tokens)
        )
        assert [s["id"] for s in listed.json()] == [user_tokens["session_id"]]
        assert (
            await client.delete(
                f"/api/v1/auth/sessions/{foreign_tokens['session_id']}",
                headers=bearer(admin_tokens),
            )
        ).status_code == 404
        assert (
            await client.delete(
                f"/api/v1/auth/sessions/{user_tokens['session_id']}", headers=bearer(admin_tokens)
            )
        ).status_code == 204
        assert (
            await client.delete(
                f"/api/v1/auth/sessions/{foreign_tokens['session_id']}", headers=bearer(root_tokens)
            )
        ).status_code == 204
        assert (await client.get("/api/v1/auth/me", headers=bearer(user_tokens))).status_code == 401
        assert (
            await client.get("/api/v1/auth/me", headers=bearer(foreign_tokens))
        ).status_code == 401


async def test_every_login_gets_a_new_session_id(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        ids = {(await login(client, user.email))["session_id"] for _ in range(3)}
    assert len(ids) == 3


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def _public_pem(auth_app: FastAPI) -> bytes:
    ring = await auth_app.state.auth.signer.ring()
    return ring.keys[ring.signing_kid].public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


async def test_alg_none_and_hs256_with_the_public_key_are_refused(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        tokens = await login(client, user.email)
        claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
        claims["role"] = "super_admin"
        header = jwt.get_unverified_header(tokens["access_token"])
        unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": header["kid"]})
        # The classic confusion attack: HMAC keyed with the (public) verification key.
        public = await _public_pem(auth_app)
        header_part = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": header["kid"]}))
        signing_input = header_part + "." + _b64(json.dumps(claims))
        mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
        confused = signing_input + "." + _b64(mac)
        for bad in (unsigned, confused):
            response = await client.get("/api/v1/auth/me", headers=bearer({"access_token": bad}))
            assert response.status_code == 401, bad


async def test_expired_and_wrong_audience_tokens_are_refused(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    ring = await auth_app.state.auth.signer.ring()
    async with client_for(auth_app) as client:
        tokens = await login(client, user.email)
        claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
        kid = {"kid": ring.signing_kid}
        expired = jwt.encode(
            {**claims, "exp": claims["iat"] - 60}, ring.signing_key, algorithm="EdDSA", headers=kid
        )
        foreign = jwt.encode(
            {**claims, "aud": "someone-else"}, ring.signing_key, algorithm="EdDSA", headers=kid
        )
        not_yet = jwt.encode(
            {**claims, "nbf": claims["iat"] + 3600},
            ring.signing_key,
            algorithm="EdDSA",
            headers=kid,
        )
        for bad, reason in ((expired, "expired"), (foreign, "invalid"), (not_yet, "invalid")):
            response = await client.get("/api/v1/auth/me", headers=bearer({"access_token": bad}))
            assert response.status_code == 401
            assert reason in response.json()["detail"]


async def test_jwks_publishes_the_signing_key(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        tokens = await login(client, user.email, password=PASSWORD)
        jwks = (await client.get("/.well-known/jwks.json")).json()
    kid = jwt.get_unverified_header(tokens["access_token"])["kid"]
    key = next(k for k in jwks["keys"] if k["kid"] == kid)
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
    assert "d" not in key  # never the private half
    public = jwt.PyJWK(key).key
    claims = jwt.decode(tokens["access_token"], public, algorithms=["EdDSA"], audience="bizosaas")
    assert claims["sub"] == str(user.id)


async def test_many_sessions_refresh_at_once_without_exhausting_the_pool(auth_app: FastAPI):
    # More concurrent refreshes than database connections: each must finish on its own
    # connection, never hold one while waiting for another.
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    pool = auth_app.state.runtime.settings.database_pool_size
    async with client_for(auth_app) as client:
        sessions = await asyncio.gather(*(login(client, user.email) for _ in range(pool + 5)))
        results = await asyncio.wait_for(
            asyncio.gather(
                *(
                    client.post("/api/v1/auth/refresh", json={"refresh_token": s["refresh_token"]})
                    for s in sessions
                )
            ),
            timeout=20,
        )
    assert [r.status_code for r in results] == [200] * len(sessions)


async def test_a_cached_signature_check_never_outlives_the_session(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant)
    async with client_for(auth_app) as client:
        tokens = await login(client, user.email)
        for _ in range(3):  # warm the verified-token cache
            assert (await client.get("/api/v1/auth/me", headers=bearer(tokens))).status_code == 200
        await client.post("/api/v1/auth/logout", headers=bearer(tokens))
        assert (await client.get("/api/v1/auth/me", headers=bearer(tokens))).status_code == 401


async def test_a_member_switches_platform_without_signing_in_again(auth_app: FastAPI):
    tenant = await create_tenant(auth_app)
    user = await create_user(auth_app, tenant, allowed_platforms=["bizoholic", "coreldove"])
    async with client_for(auth_app) as client:
        tokens = await login(client, user.email, platform="bizoholic")
        switched = await client.post(
            "/api/v1/auth/platform", json={"platform": "coreldove"}, headers=bearer(tokens)
        )
        assert switched.status_code == 200, switched.text
        new_access = switched.json()["access_token"]
        claims = jwt.decode(new_access, options={"verify_signature": False})
        assert claims["platform"] == "coreldove" and claims["session_id"] == tokens["session_id"]
        assert "bizosaas_access" in switched.headers.get("set-cookie", "")
        me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {new_access}"})
        assert me.json()["platform"] == "coreldove"
        renewed = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert renewed.status_code == 200 and renewed.json()["user"]["platform"] == "coreldove"
        refused = await client.post(
            "/api/v1/auth/platform",
            json={"platform": "bizosaas-admin"},
            headers={"Authorization": f"Bearer {new_access}"},
        )
        assert refused.status_code == 403
        unknown = await client.post(
            "/api/v1/auth/platform", json={"platform": "myspace"}, headers=bearer(tokens)
        )
        assert unknown.status_code == 422
