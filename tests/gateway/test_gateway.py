from __future__ import annotations

import aiohttp
import httpx
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.types import ASGIApp

from bizosaas.core.tenants import TenantDirectory, TenantInfo
from bizosaas.identity.vocabulary import Role
from tests.factories import bearer, client_for, create_tenant, create_user, direct_client, login
from tests.gateway.conftest import free_port, serving


async def _member(auth_app: FastAPI, gateway: ASGIApp, **tenant: object) -> dict:
    owner = await create_tenant(auth_app, **tenant)
    user = await create_user(auth_app, owner, Role.USER)
    async with client_for(gateway) as client:
        tokens = await login(client, user.email)
    return {"tenant": owner, "user": user, "tokens": tokens}


async def test_login_goes_through_the_gateway_and_carries_rate_limit_headers(
    gateway: ASGIApp, guarded_auth_app: FastAPI
):
    member = await _member(guarded_auth_app, gateway)
    async with client_for(gateway) as client:
        me = await client.get("/api/v1/auth/me", headers=bearer(member["tokens"]))
    assert me.status_code == 200
    assert me.headers["ratelimit-limit"] == "1000"
    assert int(me.headers["ratelimit-remaining"]) < 1000
    assert len(me.headers.get_list("x-request-id")) == 1


async def test_services_refuse_callers_that_bypass_the_gateway(
    gateway: ASGIApp, guarded_auth_app: FastAPI, echo: tuple[Starlette, str]
):
    member = await _member(guarded_auth_app, gateway)
    async with direct_client(guarded_auth_app) as direct:
        refused = await direct.get("/api/v1/auth/me", headers=bearer(member["tokens"]))
        forged = await direct.get(
            "/api/v1/auth/me",
            headers={**bearer(member["tokens"]), "X-Gateway-Signature": "t=1,v1=" + "0" * 64},
        )
        probe = await direct.get("/health")
    assert refused.status_code == forged.status_code == 403
    assert refused.json()["error"] == "GatewayRequired"
    assert probe.status_code == 200  # load balancers may still probe
    # Over a real port too: the echo service answers only what the gateway signed.
    async with httpx.AsyncClient() as client:
        straight = await client.get(
            echo[1] + "/api/v1/gamification/echo", headers=bearer(member["tokens"])
        )
    assert straight.status_code == 403


async def test_tenant_context_replaces_whatever_identity_the_client_claims(
    gateway: ASGIApp, guarded_auth_app: FastAPI
):
    member = await _member(guarded_auth_app, gateway)
    victim = await create_tenant(guarded_auth_app)
    async with client_for(gateway) as client:
        response = await client.get(
            "/api/v1/gamification/echo",
            headers={
                **bearer(member["tokens"]),
                "X-Tenant-ID": str(victim.id),
                "X-User-Role": "super_admin",
                "X-Permissions": "everything",
                "X-Request-ID": "client-trace-0001",
            },
        )
    seen = response.json()["headers"]
    assert response.status_code == 200
    assert seen["x-tenant-id"] == str(member["tenant"].id)
    assert seen["x-user-id"] == str(member["user"].id)
    assert seen["x-user-role"] == "user"
    assert seen["x-permissions"] == "access_gamification,manage_campaigns,view_referrals"
    assert seen["x-request-id"] == "client-trace-0001"  # well-formed ids are kept
    async with client_for(gateway) as client:
        bad_id = await client.get("/open/x", headers={"X-Request-ID": "bad id; drop table"})
    assert bad_id.json()["headers"]["x-request-id"] != "bad id; drop table"
    assert len(bad_id.json()["headers"]["x-request-id"]) == 32


async def test_authenticate_refuses_missing_bad_and_ended_tokens(
    gateway: ASGIApp, guarded_auth_app: FastAPI, echo: tuple[Starlette, str]
):
    member = await _member(guarded_auth_app, gateway)
    hits = echo[0].state.hits
    async with client_for(gateway) as client:
        missing = await client.get("/api/v1/gamification/echo")
        garbage = await client.get(
            "/api/v1/gamification/echo", headers={"Authorization": "Bearer not.a.token"}
        )
        assert (
            await client.post("/api/v1/auth/logout", headers=bearer(member["tokens"]))
        ).status_code == 204
        ended = await client.get("/api/v1/gamification/echo", headers=bearer(member["tokens"]))
    for response in (missing, garbage, ended):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert echo[0].state.hits == hits  # none of them reached the upstream


async def test_a_suspended_tenant_is_refused(gateway: ASGIApp, guarded_auth_app: FastAPI):
    member = await _member(guarded_auth_app, gateway)
    directory: TenantDirectory = guarded_auth_app.state.auth.tenants
    tenant = member["tenant"]
    await directory.publish(TenantInfo(tenant.id, tenant.slug, "suspended", 1000))
    async with client_for(gateway) as client:
        response = await client.get("/api/v1/gamification/echo", headers=bearer(member["tokens"]))
    assert response.status_code == 403
    assert "suspended" in response.json()["detail"]


async def test_each_tenant_has_its_own_limit_shared_by_every_gateway_copy(
    gateway: ASGIApp, second_gateway: ASGIApp, guarded_auth_app: FastAPI
):
    small = await _member(guarded_auth_app, gateway, rate_limit_per_hour=4)
    other = await _member(guarded_auth_app, gateway)
    directory: TenantDirectory = guarded_auth_app.state.auth.tenants
    tenant = small["tenant"]
    await directory.publish(TenantInfo(tenant.id, tenant.slug, "active", 4))
    statuses = []
    for copy in (gateway, second_gateway, gateway, second_gateway, gateway):
        async with client_for(copy) as client:
            response = await client.get(
                "/api/v1/gamification/echo", headers=bearer(small["tokens"])
            )
            statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 200, 429]
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["ratelimit-limit"] == "4"
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.json()["error"] == "RateLimited"
    async with client_for(second_gateway) as client:
        unaffected = await client.get("/api/v1/gamification/echo", headers=bearer(other["tokens"]))
    assert unaffected.status_code == 200


async def test_anonymous_routes_are_limited_per_client_ip(gateway: ASGIApp):
    statuses = []
    async with client_for(gateway, ip="198.51.100.77") as client:
        for _ in range(4):
            statuses.append((await client.get("/public/x")).status_code)
    async with client_for(gateway, ip="198.51.100.78") as neighbour:
        other = await neighbour.get("/public/x")
    assert statuses == [200, 200, 200, 429]
    assert other.status_code == 200


async def test_an_unconfigured_upstream_answers_503_naming_it(
    gateway: ASGIApp, guarded_auth_app: FastAPI
):
    member = await _member(guarded_auth_app, gateway)
    async with client_for(gateway) as client:
        response = await client.get("/api/v1/crm/contacts", headers=bearer(member["tokens"]))
    assert response.status_code == 503
    assert "'crm'" in response.json()["detail"]
    assert "BIZOSAAS_UPSTREAM_CRM" in response.json()["detail"]


async def test_bad_input_gets_a_4xx_and_never_reaches_the_upstream(
    gateway: ASGIApp, echo: tuple[Starlette, str]
):
    hits = echo[0].state.hits
    # HTTP clients tidy such paths before sending; a hostile one sends them as they are.
    traversal = await raw_get(gateway, b"/open/../api/v1/crm", "/open/../api/v1/crm")
    encoded = await raw_get(gateway, b"/open/%2e%2e/admin", "/open/../admin")
    slashes = await raw_get(gateway, b"/open//x", "/open//x")
    async with client_for(gateway) as client:
        huge = await client.get("/open/x", headers={"X-Big": "a" * 20_000})
        too_big = await client.post("/open/x", content=b"x" * 9_000_000)
        unknown = await client.get("/nowhere")
    assert traversal == encoded == slashes == 400
    assert huge.status_code == 431
    assert too_big.status_code == 413
    assert unknown.status_code == 404
    assert echo[0].state.hits == hits


async def raw_get(app: ASGIApp, raw_path: bytes, path: str) -> int:
    """Call the gateway with a request line exactly as given; returns the status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": raw_path,
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("203.0.113.1", 5000),
        "server": ("localhost", 80),
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


async def test_hop_by_hop_headers_are_not_forwarded(gateway: ASGIApp):
    async with client_for(gateway) as client:
        response = await client.get(
            "/open/x",
            headers={
                "Connection": "x-private",
                "X-Private": "secret",
                "Keep-Alive": "timeout=5",
                "X-Kept": "yes",
            },
        )
    seen = response.json()["headers"]
    assert "x-private" not in seen and "keep-alive" not in seen
    assert seen["x-kept"] == "yes"


async def test_bodies_stream_both_ways(gateway: ASGIApp):
    upload = b"u" * 5_000_000
    async with client_for(gateway) as client:
        sent = await client.post("/open/upload", content=upload)
        received = await client.get("/open/big?size=12000000")
    assert sent.json()["body_bytes"] == len(upload)
    assert received.status_code == 200
    assert len(received.content) == 12_000_000


async def test_idempotent_requests_retry_and_a_dead_upstream_opens_its_circuit(gateway: ASGIApp):
    async with client_for(gateway) as client:
        # Half the targets are dead: GETs retry on the next one and always succeed.
        assert [(await client.get("/flaky/x")).status_code for _ in range(4)] == [200] * 4
        statuses = [(await client.get("/dead/x")).status_code for _ in range(5)]
    assert statuses[:3] == [502, 502, 502]
    assert statuses[3:] == [503, 503]  # open: refused at once, without trying


async def test_health_reports_every_upstream(gateway: ASGIApp):
    async with client_for(gateway) as client:
        health = (await client.get("/health")).json()
        ready = await client.get("/ready")
    upstreams = health["upstreams"]
    assert upstreams["auth-service"]["status"] == "up"
    assert upstreams["auth-service"]["mode"] == "in-process"
    assert upstreams["echo"]["status"] == "up" and upstreams["echo"]["latency_ms"] >= 0
    assert upstreams["dead"]["status"] == "down"
    assert upstreams["crm"]["status"] == "not_configured"
    assert health["status"] == "degraded"
    # Not ready while a configured upstream is not: a load balancer should look elsewhere.
    checks = ready.json()["checks"]
    assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
    assert checks["redis"] == checks["auth-service"] == checks["echo"] == "ok"
    assert checks["dead"] == "not ready" and "crm" not in checks


async def test_websockets_are_proxied(gateway: ASGIApp):
    port = free_port()
    url = f"http://127.0.0.1:{port}/open/chat/ws"
    async with (
        serving(gateway, port),
        aiohttp.ClientSession() as session,
        session.ws_connect(url) as ws,
    ):
        await ws.send_str("hello")
        reply = await ws.receive_str()
    assert reply == "echo:hello"


async def test_without_redis_the_gateway_keeps_serving_with_per_process_limits(
    gateway_settings, routes_file, guarded_auth_app: FastAPI
):
    from tests.gateway.conftest import start_gateway

    unreachable = gateway_settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"}
    )
    async for degraded in start_gateway(unreachable, routes_file, guarded_auth_app):
        async with client_for(degraded, ip="198.51.100.90") as client:
            statuses = [(await client.get("/public/x")).status_code for _ in range(4)]
            ready = (await client.get("/ready")).json()
            health = (await client.get("/health")).json()
        assert statuses == [200, 200, 200, 429]  # still limited, now per process
        assert ready["checks"]["redis"] == "unreachable: rate limiting per process"
        assert health["rate_limits"] == "per-process"
