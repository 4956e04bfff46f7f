"""The gamification service behind the Brain Gateway, with the route table that ships."""

from __future__ import annotations

from starlette.types import ASGIApp

from tests.factories import client_for
from tests.gamification.factories import Org, event
from tests.gamification.test_leaderboards import make_board


async def test_servers_send_events_with_an_api_key_through_the_gateway(
    org: Org, gateway: ASGIApp
) -> None:
    member = await org.member()
    key = await org.api_key()
    async with client_for(gateway) as client:
        sent = await client.post(
            "/api/v1/gamification/events",
            json={"events": [event(member, "order.completed", total=12)]},
            headers={"X-API-Key": key},
        )
        wrong = await client.post(
            "/api/v1/gamification/events",
            json={"events": [event(member, "order.completed")]},
            headers={"X-API-Key": key[:-2] + "xx"},
        )
    assert sent.status_code == 202, sent.text
    assert sent.headers["ratelimit-limit"] == "1000"  # counted against the tenant's own limit
    assert wrong.status_code == 401


async def test_members_read_boards_and_anyone_reads_a_public_one(
    org: Org, gateway: ASGIApp
) -> None:
    member = await org.member()
    board = await make_board(org, key="open-sales", visibility="public")
    await org.client.patch(
        "/api/v1/gamification/settings",
        json={"boards_members_only": False},
        headers=org.admin.headers,
    )
    async with client_for(gateway) as client:
        listed = await client.get("/api/v1/gamification/leaderboards", headers=member.headers)
        anonymous_api = await client.get("/api/v1/gamification/leaderboards")
        public = await client.get(f"/api/v1/gamification/public/leaderboards/{org.id}/open-sales")
    assert listed.status_code == 200
    assert board["id"] in {b["id"] for b in listed.json()}
    assert anonymous_api.status_code == 401  # everything else needs a login
    assert public.status_code == 200, public.text
